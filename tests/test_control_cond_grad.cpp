// tfx::cond differentiated (include/tfx/control/cond.hpp): gradients through either branch against
// central finite differences in double (helpers in test_autodiff_check.hpp), and the gated adjoint
// that gives 0, not NaN, where the untaken branch's derivative is infinite. Non-scalar and tuple
// branches: test_control_cond_vjp.cpp; the forward behaviour: test_control_cond.cpp.
#include "cond_check.hpp"

using namespace condtest;

TEST_CASE("gradients through cond match finite differences in either branch", "[control][cond][autodiff]") {
    rng r(901);
    // The predicate depends on the arguments; the inputs keep it away from 0 (no flip within a
    // finite-difference step).
    auto f = [](auto a, auto b) {
        return sum(tfx::cond(sum(a) > 0.0, [&] { return sin(a) * b + a * a; }, [&] { return exp(a) * b - b * b; }));
    };
    const auto b = uniform<tensor<double, 3, 4>>(r);
    SECTION("then branch") {
        const auto a = uniform<tensor<double, 3, 4>>(r, 0.1, 1.0);
        const std::string m = check_grad(f, a, b);
        INFO(m);
        CHECK(m.empty());
        // tfx::grad agrees with the closed form of the branch taken.
        auto g = tfx::grad<0, 1>(f);
        auto [ga, gb] = g(a, b);
        adtest::mismatch_log log;
        for (std::size_t k = 0; k < a.size(); ++k) {
            const double x = a.data()[k], y = b.data()[k];
            log.compare("da", ga.data()[k], std::cos(x) * y + 2 * x, 1e-12);
            log.compare("db", gb.data()[k], std::sin(x), 1e-12);
        }
        INFO(log.str());
        CHECK(log.count == 0);
    }
    SECTION("else branch") {
        const auto a = uniform<tensor<double, 3, 4>>(r, -1.0, -0.1);
        const std::string m = check_grad(f, a, b);
        INFO(m);
        CHECK(m.empty());
        auto g = tfx::grad<0, 1>(f);
        auto [ga, gb] = g(a, b);
        adtest::mismatch_log log;
        for (std::size_t k = 0; k < a.size(); ++k) {
            const double x = a.data()[k], y = b.data()[k];
            log.compare("da", ga.data()[k], std::exp(x) * y, 1e-12);
            log.compare("db", gb.data()[k], std::exp(x) - 2 * y, 1e-12);
        }
        INFO(log.str());
        CHECK(log.count == 0);
    }
}

TEST_CASE("the untaken branch adds nothing to the gradient: no NaN from sqrt at 0", "[control][cond][autodiff]") {
    auto f = [](auto a) { return sum(tfx::cond(sum(a) > 0.0, [&] { return sqrt(a); }, [&] { return a * 0.0; })); };
    auto g = tfx::grad(f);
    SECTION("at a == 0 the else branch is taken: the gradient is 0, not NaN") {
        const tensor<double, 3> zero{0.0, 0.0, 0.0};
        const auto& gz = g(zero);
        for (int i = 0; i < 3; ++i) {
            INFO("i = " << i << ", gradient " << gz(i));
            CHECK_FALSE(std::isnan(gz(i)));
            CHECK(gz(i) == 0.0);
        }
        auto vg = tfx::value_and_grad(f);
        auto [v, gv] = vg(zero);
        CHECK(v() == 0.0);
        for (int i = 0; i < 3; ++i) CHECK(gv(i) == 0.0);
        // vjp (a cotangent that is not the compile-time seed) too.
        auto [y, pullback] = tfx::vjp([](auto a) { return tfx::cond(sum(a) > 0.0, [&] { return sqrt(a); }, [&] { return a * 0.0; }); },
                                      zero);
        const auto [ct] = pullback(tensor<double, 3>{1.0, -2.0, 3.0});
        for (int i = 0; i < 3; ++i) CHECK(ct(i) == 0.0);
    }
    SECTION("at a > 0 the then branch is taken: 1 / (2 sqrt(a))") {
        const tensor<double, 3> a{0.25, 1.0, 4.0};
        const auto& ga = g(a);
        CHECK(ga(0) == Approx(1.0).epsilon(1e-14));
        CHECK(ga(1) == Approx(0.5).epsilon(1e-14));
        CHECK(ga(2) == Approx(0.25).epsilon(1e-14));
    }
    SECTION("the untaken branch's backward is not evaluated at all (a backward rule that would throw)") {
        // x * 3 forward; its backward rule gathers out of range, so it throws when (only when) it runs.
        auto throwing_backward = tfx::custom_vjp([](auto x) { return x * 3.0; },
                                                 [](auto g, auto x) { return std::tuple{g * tfx::gather<0>(x, bad_index)}; });
        auto h = tfx::grad([&](auto x) {
            return sum(tfx::cond(sum(x) > 0.0, [&] { return x * x; }, [&] { return throwing_backward(x); }));
        });
        const tensor<double, 3> x{0.5, 1.0, 2.0};
        tensor<double, 3> gx;
        CHECK_NOTHROW(gx = h(x));
        CHECK(gx(0) == 1.0);
        CHECK(gx(1) == 2.0);
        CHECK(gx(2) == 4.0);
        const tensor<double, 3> nx{-0.5, -1.0, -2.0};  // the sentinel's branch is taken now
        CHECK_THROWS_AS(h(nx), tfx::value_error);
        // Its forward is harmless: the value alone is fine.
        auto f = tfx::function([&](auto x) { return sum(throwing_backward(x)); });
        CHECK(f(nx)() == -10.5);
    }
}
