// The stability of log_softmax and of binary_crossentropy from logits of ±1e4 in float and double,
// values and gradients (docs/numerics.md; test_softmax.cpp and test_losses.cpp cover
// softmax/logsumexp at ±1e4 and the losses at ±1000 in float; this file adds what they do not). The
// sparse and categorical cross-entropies are in test_numerics_xent.cpp (split for the compiler).
#include <tfx/tfx.hpp>
#include <tfx/nn/losses.hpp>

#include <catch2/catch.hpp>

#include "loss_gradient.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace {

using tfx::dyn;
using tfx::tensor;
namespace losses = tfx::losses;

using losstest::count_non_finite;
using losstest::eps;

}  // namespace

// ----------------------------------------------------------- stability for logits of ±1e4

TEMPLATE_TEST_CASE("log_softmax of logits of ±1e4 is exact and finite on long rows", "[numerics]", float, double) {
    using T = TestType;
    // 37 columns: the SIMD body and a tail. Row 0: one 1e4, the rest -1e4; row 1: 1e4 - j % 3
    // (three near-ties); row 2: all -1e4.
    tensor<T, dyn, dyn> x(3, 37);
    for (std::size_t j = 0; j < 37; ++j) {
        x(0, j) = j == 20 ? T(1e4) : T(-1e4);
        x(1, j) = T(1e4) - T(j % 3);
        x(2, j) = T(-1e4);
    }
    const tensor<T, dyn, dyn> lp = tfx::log_softmax<1>(x);
    CHECK(count_non_finite(lp) == 0);
    // log(1 + 13 e^-1 + 12 e^-2): 13 columns with j % 3 == 0, 12 with 1 and 12 with 2
    const double z1 = std::log(13 + 12 * std::exp(-1.0) + 12 * std::exp(-2.0));
    for (std::size_t j = 0; j < 37; ++j) {
        INFO("column " << j);
        CHECK(lp(0, j) == (j == 20 ? T(0) : T(-2e4)));
        CHECK(lp(1, j) == Approx(-double(j % 3) - z1).epsilon(8 * eps<T>));
        CHECK(lp(2, j) == Approx(-std::log(37.0)).epsilon(8 * eps<T>));
    }
}

TEMPLATE_TEST_CASE("binary cross-entropy from logits of ±1e4: exact values and finite gradients", "[numerics][losses]",
                   float, double) {
    using T = TestType;
    // softplus(x) - x t per element: 0 where the sign of x agrees with t, 1e4 where not
    const tensor<T, dyn, 2> bx{{T(1e4), T(-1e4)}, {T(1e4), T(-1e4)}};
    const tensor<T, dyn, 2> bt{{1, 0}, {0, 1}};
    const losses::binary_crossentropy loss{.from_logits = true};
    const tensor<T> l = loss(bt, bx);
    CHECK(l() == Approx(5e3).epsilon(4 * eps<T>));
    const auto [v, g] = gradient_of(loss, bt, bx);
    CHECK(v == Approx(5e3).epsilon(4 * eps<T>));
    // (sigmoid(x) - t) / 4
    CHECK(count_non_finite(g) == 0);
    CHECK(g(0, 0) == Approx(0).margin(4 * eps<T>));
    CHECK(g(0, 1) == Approx(0).margin(4 * eps<T>));
    CHECK(g(1, 0) == Approx(0.25).epsilon(4 * eps<T>));
    CHECK(g(1, 1) == Approx(-0.25).epsilon(4 * eps<T>));
}
