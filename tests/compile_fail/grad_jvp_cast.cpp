// expect-compile: ok
// Forward mode through cast<double> of a float tensor must compile (a library bug found by the
// autodiff tests: jvp reuses cast's reverse rule, which converts the tangent to the source type,
// float, and the double-typed parent then mixes float and double). The Catch test that needs it is
// guarded by TFX_AD_BUG_CAST_JVP in tests/test_autodiff_check.hpp.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2> x{1.f, 2.f}, t{1.f, -1.f};
    auto [y, ty] = tfx::jvp([](auto x) { return tfx::cast<double>(x) * 3.0; }, std::tuple{x}, std::tuple{t});
    return ty(0) == 3.0 ? 0 : 1;
}
