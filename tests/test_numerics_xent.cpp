// The stability of sparse_categorical_crossentropy and categorical_crossentropy (with label
// smoothing) from logits of ±1e4 in float and double: exact values and finite gradients
// (docs/numerics.md). Split from test_numerics_stability.cpp for the compiler.
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

TEMPLATE_TEST_CASE("sparse and categorical cross-entropy from logits of ±1e4: exact values and finite gradients",
                   "[numerics][losses]", float, double) {
    using T = TestType;
    // Per row: the label, and the loss -log_softmax(x)[label].
    //   row 0: [ 1e4, -1e4,  0  ], label 0: 0
    //   row 1: [ 1e4, -1e4,  0  ], label 1: 2e4
    //   row 2: [-1e4, -1e4, -1e4], label 2: log 3
    //   row 3: [ 1e4,  1e4, -1e4], label 0: log 2
    const tensor<T, dyn, 3> x{{T(1e4), T(-1e4), 0}, {T(1e4), T(-1e4), 0}, {T(-1e4), T(-1e4), T(-1e4)}, {T(1e4), T(1e4), T(-1e4)}};
    const tensor<std::int64_t, dyn> labels{0, 1, 2, 0};
    const tensor<T, dyn, 3> onehot{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 0}};
    const double want = (0 + 2e4 + std::log(3.0) + std::log(2.0)) / 4;
    // softmax(x) of the rows; the gradient of the mean loss is (softmax - onehot) / 4
    const double sm[4][3] = {{1, 0, 0}, {1, 0, 0}, {1.0 / 3, 1.0 / 3, 1.0 / 3}, {0.5, 0.5, 0}};
    auto check_gradient = [&](const tensor<T, dyn, 3>& g, const tensor<T, dyn, 3>& target) {
        CHECK(count_non_finite(g) == 0);
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t c = 0; c < 3; ++c) {
                INFO("row " << i << ", class " << c);
                CHECK(g(i, c) == Approx((sm[i][c] - double(target(i, c))) / 4).margin(4 * eps<T>));
            }
    };

    SECTION("sparse_categorical_crossentropy") {
        const losses::sparse_categorical_crossentropy loss{.from_logits = true};
        const tensor<T> l = loss(labels, x);
        CHECK(std::isfinite(l()));
        CHECK(l() == Approx(want).epsilon(4 * eps<T>));
        const auto [v, g] = gradient_of(loss, labels, x);
        CHECK(v == Approx(want).epsilon(4 * eps<T>));
        check_gradient(g, onehot);
    }
    SECTION("categorical_crossentropy") {
        const losses::categorical_crossentropy loss{.from_logits = true};
        const tensor<T> l = loss(onehot, x);
        CHECK(l() == Approx(want).epsilon(4 * eps<T>));
        const auto [v, g] = gradient_of(loss, onehot, x);
        CHECK(v == Approx(want).epsilon(4 * eps<T>));
        check_gradient(g, onehot);
        // label smoothing 0.3 puts 0.1 on every class, so the -1e4 logits enter the loss:
        // row 0 is 0.1 * (0 + 2e4 + 1e4) = 3000, finite
        const losses::categorical_crossentropy smooth{.from_logits = true, .label_smoothing = 0.3};
        const tensor<T, 1, 3> x0{{T(1e4), T(-1e4), 0}};
        const tensor<T, 1, 3> t0{{1, 0, 0}};
        const tensor<T> l0 = smooth(t0, x0);
        CHECK(l0() == Approx(3000).epsilon(8 * eps<T>));
        tensor<T, dyn, 3> smoothed = onehot * T(0.7) + T(0.1);
        const auto [vs, gs] = gradient_of(smooth, onehot, x);
        CHECK(std::isfinite(vs));
        check_gradient(gs, smoothed);
    }
}
