// tfx::losses through autodiff: gradients of every loss through value_and_grad against finite
// differences, forward mode (jvp) through a loss and its from_logits switch, and the cross-entropy
// gradient of the logits, (softmax - target) / N, finite for zero logits. Split from
// test_losses.cpp for the compiler.
#include <tfx/nn/losses.hpp>

#include <catch2/catch.hpp>

#include "loss_gradient.hpp"
#include "test_autodiff_check.hpp"

#include <cmath>
#include <cstdint>
#include <string>

namespace {

using tfx::dyn;
using tfx::shape;
using tfx::tensor;
namespace losses = tfx::losses;

constexpr double eps = 1e-7;

template <class E>
double value_of(const E& e) {
    tensor<typename E::value_type> v = e;
    return double(v());
}
}  // namespace

// ---------------------------------------------------------------- gradients

namespace {
// gradient_of (loss_gradient.hpp) against central differences of the loss evaluated eagerly (double
// precision).
template <class L, class Y, class X>
std::string check_loss_grad(const L& loss, const Y& y, const X& x0) {
    const auto [value, g] = gradient_of(loss, y, x0);
    X x = x0;
    adtest::mismatch_log log;
    log.compare("value", value, value_of(loss(y, x)), 1e-12);
    for (std::size_t k = 0; k < x.size(); ++k) {
        const double v = x.data()[k];
        x.data()[k] = v + adtest::fd_step;
        const double up = value_of(loss(y, x));
        x.data()[k] = v - adtest::fd_step;
        const double down = value_of(loss(y, x));
        x.data()[k] = v;
        log.compare("d/dy_pred[" + std::to_string(k) + "]", double(g.data()[k]), (up - down) / (2 * adtest::fd_step));
    }
    return log.str();
}
void expect_empty(const std::string& what, const std::string& m) {
    INFO(what << ": " << m);
    CHECK(m.empty());
}
// Tensors of the types the value tests of test_losses.cpp use.
template <class Tn>
Tn random_tensor(adtest::rng& r, std::size_t rows, double lo, double hi) {
    Tn t(rows);
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}
using matrix2 = tensor<double, dyn, 2>;
using matrix3 = tensor<double, dyn, 3>;
}  // namespace

TEST_CASE("gradients of every loss match finite differences", "[losses][autodiff]") {
    adtest::rng r(811);
    SECTION("regression losses") {
        const auto a = random_tensor<matrix2>(r, 6, -1, 1);
        matrix2 b = a;
        // Errors at least 0.1 from 0 (abs) and from +-delta (huber).
        for (std::size_t i = 0; i < b.size(); ++i) b.data()[i] += (i % 2 ? 1 : -1) * (0.2 + 0.13 * double(i % 4));
        expect_empty("mse", check_loss_grad(losses::mean_squared_error{}, a, b));
        expect_empty("mae", check_loss_grad(losses::mean_absolute_error{}, a, b));
        for (double delta : {0.45, 1.0}) expect_empty("huber", check_loss_grad(losses::huber{.delta = delta}, a, b));
    }
    SECTION("binary cross-entropy") {
        const auto t = random_tensor<matrix2>(r, 5, 0, 1);
        const auto p = random_tensor<matrix2>(r, 5, 0.05, 0.95);  // inside [eps, 1 - eps]: no clipping kink
        const auto x = random_tensor<matrix2>(r, 5, -3, 3);
        for (bool logits : {false, true})
            for (double s : {0.0, 0.15})
                expect_empty("bce", check_loss_grad(losses::binary_crossentropy{.from_logits = logits, .label_smoothing = s},
                                                    t, logits ? x : p));
    }
    SECTION("categorical cross-entropy, rows not normalized") {
        const auto t = random_tensor<matrix3>(r, 5, 0, 1);
        const auto p = random_tensor<matrix3>(r, 5, 0.05, 0.95);
        const auto x = random_tensor<matrix3>(r, 5, -3, 3);
        for (bool logits : {false, true})
            for (double s : {0.0, 0.2})
                expect_empty("cce", check_loss_grad(losses::categorical_crossentropy{.from_logits = logits, .label_smoothing = s},
                                                    t, logits ? x : p));
    }
    SECTION("sparse categorical cross-entropy") {
        const auto p = random_tensor<matrix3>(r, 5, 0.05, 0.95);
        const auto x = random_tensor<matrix3>(r, 5, -3, 3);
        const tensor<std::int64_t, dyn> labels{2, 0, 1, 1, 0};
        for (bool logits : {false, true})
            expect_empty("scce", check_loss_grad(losses::sparse_categorical_crossentropy{.from_logits = logits}, labels,
                                                 logits ? x : p));
    }
}

TEST_CASE("forward mode (jvp) goes through a loss and its from_logits switch", "[losses][autodiff]") {
    adtest::rng r(812);
    const auto p = random_tensor<matrix3>(r, 4, 0.1, 0.9);
    const auto x = random_tensor<matrix3>(r, 4, -2, 2);
    const tensor<std::int64_t, dyn> labels{2, 0, 1, 1};
    for (bool logits : {true, false}) {
        const losses::sparse_categorical_crossentropy l{.from_logits = logits};
        expect_empty(logits ? "jvp, logits" : "jvp, probabilities",
                     adtest::check_jvp([l](auto y, auto z) { return l(y, z); }, labels, logits ? x : p));
    }
}

TEST_CASE("the cross-entropy gradient of the logits is (softmax - target) / N, finite for zero logits", "[losses][autodiff]") {
    const matrix3 zero(4);  // a zero-initialized output layer: every logit 0
    const matrix3 onehot{{0, 1, 0}, {1, 0, 0}, {0, 0, 1}, {0, 1, 0}};
    const tensor<std::int64_t, dyn> labels{1, 0, 2, 1};
    const matrix3 gd = gradient_of(losses::categorical_crossentropy{.from_logits = true}, onehot, zero).second;
    const matrix3 gs = gradient_of(losses::sparse_categorical_crossentropy{.from_logits = true}, labels, zero).second;
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t c = 0; c < 3; ++c) {
            const double want = (1.0 / 3 - onehot(i, c)) / 4;
            CHECK(gd(i, c) == Approx(want).margin(1e-15));
            CHECK(gs(i, c) == Approx(want).margin(1e-15));
        }
    SECTION("probabilities with zeros: finite gradients, exact where nothing is clipped") {
        const matrix3 q{{0.0, 1.0, 0.0}, {0.2, 0.8, 0.0}};
        const matrix3 t{{0, 1, 0}, {1, 0, 0}};
        const matrix3 d = gradient_of(losses::categorical_crossentropy{}, t, q).second;
        // Row 1 (p_0 / s not clipped): d/dp_c of -log(p_0 / s) / 2 = (1/s - [c == 0] / p_0) / 2, s = 1.
        CHECK(d(1, 0) == Approx((1 - 1 / 0.2) / 2));
        CHECK(d(1, 1) == Approx(0.5));
        for (double e : d) CHECK(std::isfinite(e));
    }
}
