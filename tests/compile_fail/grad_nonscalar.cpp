// expect: tfx: grad: f must return a scalar (rank 0)
// expect: tfx::detail::scalar_output<tfx::shape<3> >
// grad of a function whose value is a [3] tensor: reverse mode needs a cotangent (use vjp).
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 3> x;
    auto g = tfx::grad([](auto x) { return x * 2.f; });
    const auto& dx = g(x);  // error here
    (void)dx;
}
