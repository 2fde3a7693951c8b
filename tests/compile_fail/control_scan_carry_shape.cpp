// expect: tfx: scan: the step must return a carry of the carry's shape
// expect: tfx::shape<3>
// expect: tfx::shape<4>
// scan whose step returns a [4] carry (a row of xs) for a [3] carry: the carry must keep its shape
// from one step to the next.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 3> c0;
    tfx::tensor<float, tfx::dyn, 4> xs(5);
    auto r = tfx::scan([](auto c, auto x) { return std::tuple{x * 2.f, sum(c)}; }, c0, xs);
    (void)r;
}
