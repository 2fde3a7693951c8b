// expect: tfx: grad: a requested argument index is not an argument of f
// expect: tfx::detail::inputs_exist<3, 5>
// grad<5> of a function of three arguments.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 3> a, b, c;
    auto g = tfx::grad<5>([](auto a, auto b, auto c) { return sum(a * b * c); });
    const auto& d = g(a, b, c);
    (void)d;
}
