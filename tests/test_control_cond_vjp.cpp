// vjp and jvp through tfx::cond (include/tfx/control/cond.hpp) with a non-scalar result and with
// tuple branches, against central finite differences in double. Gradients of scalar conds:
// test_control_cond_grad.cpp.
#include "cond_check.hpp"

using namespace condtest;

TEST_CASE("vjp and jvp of a non-scalar cond match finite differences", "[control][cond][autodiff]") {
    rng r(902);
    auto f = [](auto a, auto w) {
        return tfx::cond(sum(w) > 0.0, [&] { return tanh(matmul(a, w)); }, [&] { return matmul(a * a, w) * 0.5; });
    };
    const auto a = uniform<tensor<double, 3, 4>>(r);
    SECTION("then branch") { adtest::check_derivatives(f, a, uniform<tensor<double, 4, 2>>(r, 0.05, 1.0)); }
    SECTION("else branch") { adtest::check_derivatives(f, a, uniform<tensor<double, 4, 2>>(r, -1.0, -0.05)); }
}

TEST_CASE("gradients through a cond with tuple branches match finite differences", "[control][cond][autodiff]") {
    rng r(903);
    auto f = [](auto a, auto b) {
        auto [x, s] = tfx::cond(
            sum(b) > 0.0, [&] { return std::tuple{a * b, sum(a * a)}; }, [&] { return std::tuple{a + b * b, sum(exp(a))}; });
        return sum(x * x) + s * 0.5;
    };
    const auto a = uniform<tensor<double, 2, 3>>(r);
    SECTION("then branch") {
        const std::string m = check_grad(f, a, uniform<tensor<double, 2, 3>>(r, 0.1, 1.0));
        INFO(m);
        CHECK(m.empty());
    }
    SECTION("else branch") {
        const std::string m = check_grad(f, a, uniform<tensor<double, 2, 3>>(r, -1.0, -0.1));
        INFO(m);
        CHECK(m.empty());
    }
}
