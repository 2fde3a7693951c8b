// Second derivatives through sparse_categorical_crossentropy, whose loss and gradient are kernels of
// their own (losses.hpp): the kernels' vjp and jvp against finite differences (from logits and
// from probabilities), and grad(grad(f)) against its analytic value. Kept apart from
// test_losses.cpp: these checks compile for about half a minute, and that file already takes 40 s.
#include <tfx/nn/losses.hpp>
#include <tfx/tfx.hpp>

#include "test_autodiff_check.hpp"

#include <cmath>
#include <cstdint>

namespace {

using tfx::dyn;
using tfx::tensor;
namespace losses = tfx::losses;
using matrix3 = tensor<double, dyn, 3>;

template <class Tn>
Tn random_tensor(adtest::rng& r, std::size_t rows, double lo, double hi) {
    Tn t(rows);
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}

}  // namespace

TEST_CASE("second derivatives go through the sparse cross-entropy's gradient kernel", "[losses][autodiff]") {
    adtest::rng r(813);
    const tensor<std::int64_t, dyn> labels{2, 0, 1, 1, 0};
    SECTION("the gradient kernel's own vjp and jvp, in the logits and the per-sample adjoints") {
        const auto z = random_tensor<matrix3>(r, 5, -2, 2);
        const auto g = random_tensor<tensor<double, dyn>>(r, 5, -1, 1);
        adtest::check_derivatives(
            [](auto y, auto z, auto g) { return tfx::losses::detail::sparse_softmax_xent_grad(z, y, g); }, labels, z, g);
    }
    SECTION("from probabilities: both kernels' derivatives, with values on both sides of the clip") {
        // epsilon = 0.1: values below 0.1 or above 0.9 are clipped (their derivative is 0); none
        // lies within a finite-difference step of a bound.
        auto p = random_tensor<matrix3>(r, 5, 0.02, 0.98);
        for (auto& v : p) {
            if (std::abs(v - 0.1) < 0.02) v += 0.05;
            if (std::abs(v - 0.9) < 0.02) v -= 0.05;
        }
        p(0, 0) = 0.05;  // clipped, on a row whose label is 2
        p(1, 0) = 0.95;  // clipped, and the row's label
        const auto g = random_tensor<tensor<double, dyn>>(r, 5, -1, 1);
        adtest::check_derivatives(
            [](auto y, auto p) { return tfx::losses::detail::sparse_softmax_xent(tfx::as_node(p), tfx::as_node(y), false, 0.1); },
            labels, p);
        adtest::check_derivatives(
            [](auto y, auto p, auto g) { return tfx::losses::detail::sparse_softmax_xent_grad(p, y, g, false, 0.1); },
            labels, p, g);
    }
    SECTION("the loss's gradient for logits [2, 3, 4] and labels [2, 3], against finite differences") {
        tensor<double, 2, 3, 4> x;
        for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = std::sin(1.7 * double(i));
        const tensor<std::int64_t, 2, 3> l3{{0, 1, 2}, {3, 2, 1}};
        const std::string m = adtest::check_grad(
            [](auto x, auto y) { return losses::sparse_categorical_crossentropy{.from_logits = true}(y, x); }, x, l3);
        INFO(m);
        CHECK(m.empty());
    }
    SECTION("grad(grad(f)) of f(a) = loss(labels, a c)") {
        const auto c = random_tensor<matrix3>(r, 5, 0.1, 0.9);
        const tensor<double> a = 0.9;
        // From logits: the mean over rows of the variance of c_i under softmax(a c_i).
        double want = 0;
        for (std::size_t i = 0; i < 5; ++i) {
            double s = 0, m1 = 0, m2 = 0;
            for (std::size_t k = 0; k < 3; ++k) s += std::exp(a() * c(i, k));
            for (std::size_t k = 0; k < 3; ++k) {
                const double q = std::exp(a() * c(i, k)) / s;
                m1 += q * c(i, k);
                m2 += q * c(i, k) * c(i, k);
            }
            want += (m2 - m1 * m1) / 5;
        }
        // One function type for both settings (from_logits is a run-time option).
        auto second = [](losses::sparse_categorical_crossentropy l) {
            return tfx::grad(tfx::grad([l](auto a, auto c, auto y) { return l(y, a * c); }));
        };
        CHECK(double(second({.from_logits = true})(a, c, labels)()) == Approx(want).epsilon(1e-12));
        // From probabilities the rows are normalized: scaling them changes nothing, f'' = 0.
        CHECK(double(second({.from_logits = false})(a, c, labels)()) == Approx(0).margin(1e-12));
    }
}
