// The dot-product test <t, J^T c> == <J t, c> on the parts of a transformer block: attention with
// batched matmuls and layer normalisation (helpers in test_autodiff_check.hpp).
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_dot_product;
using adtest::rng;
using tfx::keepdims;
using tfx::tensor;

template <class Tn>
Tn uniform(rng& r, double lo = -1, double hi = 1) {
    Tn t;
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}

}  // namespace

TEST_CASE("dot-product test: attention, softmax(Q K^T / sqrt(d)) V with batched matmuls", "[autodiff]") {
    rng r(1003);
    const auto q = uniform<tensor<double, 2, 4, 8>>(r);
    const auto v = uniform<tensor<double, 2, 4, 8>>(r);
    SECTION("K given transposed, [2,8,4]") {
        check_dot_product([](auto q, auto kt, auto v) { return matmul(softmax<-1>(matmul(q, kt) * 0.35355339059327373), v); }, q,
                          uniform<tensor<double, 2, 8, 4>>(r), v);
    }
#if !TFX_AD_BUG_PERMUTE_VJP  // see test_autodiff_check.hpp
    SECTION("K^T as permute<0, 2, 1>(K)") {
        check_dot_product(
            [](auto q, auto k, auto v) { return matmul(softmax<-1>(matmul(q, permute<0, 2, 1>(k)) * 0.35355339059327373), v); }, q,
            uniform<tensor<double, 2, 4, 8>>(r), v);
    }
#endif
}

TEST_CASE("dot-product test: layer normalisation (shared mean, keepdims broadcasts)", "[autodiff]") {
    rng r(1004);
    check_dot_product(
        [](auto x, auto gamma, auto beta) {
            auto c = x - mean<1>(x, keepdims);
            return c * rsqrt(mean<1>(square(c), keepdims) + 1e-5) * gamma + beta;
        },
        uniform<tensor<double, 3, 6>>(r, -2, 2), uniform<tensor<double, 6>>(r), uniform<tensor<double, 6>>(r));
}

