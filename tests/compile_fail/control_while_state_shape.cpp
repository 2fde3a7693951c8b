// expect: tfx: while_loop: the body must return each state variable with its shape
// expect: tfx::shape<3>
// expect: tfx::shape<2>
// A body that turns a [3] state into a [2] one: the state's type would change between iterations.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 3> x{1.f, 2.f, 3.f};
    auto r = tfx::while_loop([](auto v) { return tfx::sum(v) < 10.f; },
                             [](auto v) { return tfx::slice<0, 0, 2>(v) * 2.f; }, x);
    (void)r;
}
