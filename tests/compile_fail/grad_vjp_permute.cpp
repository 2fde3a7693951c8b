// expect-compile: ok
// Reverse mode through transpose/permute must compile (a library bug found by the autodiff tests:
// vjp of permute_node uses a local constexpr array inside a capture-less lambda, and GCC 12 rejects
// it with "'p' is not captured"). The Catch tests that need it are guarded by
// TFX_AD_BUG_PERMUTE_VJP in tests/test_autodiff_check.hpp.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<double, 2, 3> x{{1, 2, 3}, {4, 5, 6}};
    auto g = tfx::grad([](auto x) { return sum(transpose(x) * 2.0); });
    return g(x)(0, 0) == 2.0 ? 0 : 1;
}
