// logsumexp's gradient, the softmax exp(x - logsumexp(x)), reads the terms exp(x - m) and the
// reciprocals of their sums that the logsumexp kernel stored in the same tfx::function call
// (expr/reduce.hpp, lse_softmax_node), instead of computing the exps a second time. Eager
// gradients store nothing and compute the rule as written; the two must agree everywhere,
// including slices whose max is infinite.
#include <cmath>
#include <limits>

#include "test_autodiff_check.hpp"

namespace {

using adtest::rng;
using tfx::dyn;
using tfx::tensor;

template <class A, class B>
void check_same_gradient(const A& traced, const B& eager, double eps) {
    REQUIRE(traced.size() == eager.size());
    for (std::size_t i = 0; i < traced.size(); ++i) {
        INFO("element " << i);
        const double t = traced.data()[i], e = eager.data()[i];
        if (std::isnan(e))
            CHECK(std::isnan(t));
        else
            CHECK(t == Approx(e).epsilon(eps).margin(1e-300));
    }
}

}  // namespace

TEST_CASE("logsumexp's gradient reads the terms its kernel stored, and its value does not depend on it", "[autodiff]") {
    rng r(1501);
    tensor<double, dyn, 5> x(4);
    adtest::fill_uniform(x, r, -3, 3);
    auto softmax = [&](std::size_t i, std::size_t j) {
        double s = 0;
        for (std::size_t k = 0; k < 5; ++k) s += std::exp(x(i, k));
        return std::exp(x(i, j)) / s;
    };

    // grad alone: the logsumexp is computed once per call, inside the gradient's softmax, and the
    // terms it stored are then read back (one kernel result reused). Computing exp(x - logsumexp)
    // again, as the rule is written, reuses nothing.
    auto g = tfx::grad([](auto x) { return sum(logsumexp<1>(x)); });
    for (std::size_t call = 1; call <= 3; ++call) {
        INFO("call " << call);
        const auto& dx = g(x);
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t j = 0; j < 5; ++j) CHECK(dx(i, j) == Approx(softmax(i, j)).epsilon(1e-13));
        CHECK(g.stats().kernels_computed == call);
        CHECK(g.stats().kernels_reused == call);
    }

    // The value is the same to the bit whether the call stores the terms (value_and_grad) or not (a
    // function without a gradient, from its second call on): the same sums.
    auto f = tfx::function([](auto x) { return sum(logsumexp<1>(x)); });
    auto vg = tfx::value_and_grad([](auto x) { return sum(logsumexp<1>(x)); });
    for (std::size_t call = 1; call <= 3; ++call) {
        INFO("call " << call);
        const double fv = f(x)();
        const auto& [v, dx] = vg(x);
        CHECK(v() == fv);
        CHECK(dx(2, 3) == Approx(softmax(2, 3)).epsilon(1e-13));
    }
}

TEST_CASE("logsumexp's stored gradient over leading axes and of an expression equals the eager gradient", "[autodiff]") {
    rng r(1502);
    tensor<double, 3, dyn, 4> x(5);
    adtest::fill_uniform(x, r, -4, 4);
    auto lead = [](const auto& x) { return sum(logsumexp<0>(x * 2.0)); };  // a general layout, an expression
    auto both = [](const auto& x) { return sum(logsumexp<0, 2>(x)); };
    auto all = [](const auto& x) { return logsumexp(x) * 3.0; };
    auto g_lead = tfx::grad(lead);
    auto g_both = tfx::grad(both);
    auto g_all = tfx::grad(all);
    for (std::size_t call = 1; call <= 2; ++call) {
        INFO("call " << call);
        check_same_gradient(g_lead(x), std::get<1>(tfx::gradient(lead(x), x)), 1e-13);
        check_same_gradient(g_both(x), std::get<1>(tfx::gradient(both(x), x)), 1e-13);
        check_same_gradient(g_all(x), std::get<1>(tfx::gradient(all(x), x)), 1e-13);
        CHECK(g_lead.stats().kernels_reused == call);
        CHECK(g_both.stats().kernels_reused == call);
        CHECK(g_all.stats().kernels_reused == call);
    }
    const std::string m = adtest::check_grad(lead, x);
    INFO(m);
    CHECK(m.empty());
}

TEST_CASE("where a slice's max is infinite, logsumexp's stored gradient is still exp(x - logsumexp(x))", "[autodiff]") {
    constexpr double inf = std::numeric_limits<double>::infinity();
    tensor<double, 3, 4> x;
    const double rows[3][4] = {{1, -2, 0.5, 3}, {1, inf, 2, -inf}, {-inf, -inf, -inf, -inf}};
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 4; ++j) x(i, j) = rows[i][j];
    auto f = [](const auto& x) { return sum(logsumexp<1>(x)); };  // by reference: the eager leaves are x
    auto g = tfx::grad(f);
    const auto eager = std::get<1>(tfx::gradient(f(x), x));
    for (std::size_t call = 1; call <= 2; ++call) {
        INFO("call " << call);
        const auto& dx = g(x);
        check_same_gradient(dx, eager, 1e-14);
        // The rule's values: a softmax in the finite row; exp(x - inf) = 0 beside an infinite max
        // and NaN at it; NaN in an all -inf row.
        CHECK(dx(0, 3) == Approx(std::exp(3.0) / (std::exp(1.0) + std::exp(-2.0) + std::exp(0.5) + std::exp(3.0))));
        CHECK(dx(1, 0) == 0.0);
        CHECK(dx(1, 3) == 0.0);
        CHECK(std::isnan(dx(1, 1)));
        for (std::size_t j = 0; j < 4; ++j) CHECK(std::isnan(dx(2, j)));
    }
}
