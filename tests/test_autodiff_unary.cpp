// Reverse and forward mode of the elementwise functions exp ... pow against finite differences in
// double precision (helpers in test_autodiff_check.hpp). Shape [3,7]: 21 elements, so that the
// SIMD body and the scalar tail of the fused loop both run.
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_derivatives;
using adtest::rng;
using tfx::dyn;
using tfx::tensor;

using X = tensor<double, 3, 7>;

X uniform(rng& r, double lo, double hi) {
    X t;
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}
X signed_away(rng& r, double lo, double hi) {
    X t;
    adtest::fill_signed(t, r, lo, hi);
    return t;
}

}  // namespace

TEST_CASE("vjp and jvp of exp, log, log1p and expm1 match finite differences", "[autodiff]") {
    rng r(101);
    SECTION("exp") { check_derivatives([](auto x) { return exp(x); }, uniform(r, -2, 2)); }
    SECTION("log") { check_derivatives([](auto x) { return log(x); }, uniform(r, 0.3, 3)); }
    SECTION("log1p") { check_derivatives([](auto x) { return log1p(x); }, uniform(r, -0.5, 2)); }
    SECTION("expm1") { check_derivatives([](auto x) { return expm1(x); }, uniform(r, -2, 2)); }
}

TEST_CASE("vjp and jvp of sqrt, rsqrt, square and abs match finite differences", "[autodiff]") {
    rng r(102);
    SECTION("sqrt") { check_derivatives([](auto x) { return sqrt(x); }, uniform(r, 0.5, 2)); }
    SECTION("rsqrt") { check_derivatives([](auto x) { return rsqrt(x); }, uniform(r, 0.5, 2)); }
    SECTION("square") { check_derivatives([](auto x) { return square(x); }, uniform(r, -2, 2)); }
    SECTION("abs, away from 0") { check_derivatives([](auto x) { return abs(x); }, signed_away(r, 0.1, 2)); }
}

TEST_CASE("vjp and jvp of sin and cos match finite differences", "[autodiff]") {
    rng r(103);
    SECTION("sin") { check_derivatives([](auto x) { return sin(x); }, uniform(r, -3, 3)); }
    SECTION("cos, on a dynamic extent") {
        tensor<double, dyn, 7> x(3);
        adtest::fill_uniform(x, r, -3, 3);
        check_derivatives([](auto x) { return cos(x); }, x);
    }
}

TEST_CASE("vjp and jvp of pow match finite differences in the base and the exponent", "[autodiff]") {
    rng r(104);
    SECTION("pow(a, b), a > 0") {
        check_derivatives([](auto a, auto b) { return pow(a, b); }, uniform(r, 0.5, 2), uniform(r, -1.5, 1.5));
    }
    SECTION("pow(x, 3) with negative bases") { check_derivatives([](auto x) { return pow(x, 3.0); }, uniform(r, -2, 2)); }
    SECTION("pow(2, x)") { check_derivatives([](auto x) { return pow(2.0, x); }, uniform(r, -2, 2)); }
}

TEST_CASE("pow(a, b): the derivative in b is 0 where a <= 0, as in TensorFlow", "[autodiff]") {
    const tensor<double, 2> a{-2.0, -0.5}, b{2.0, 3.0};
    auto vg = tfx::value_and_grad<0, 1>([](auto a, auto b) { return sum(pow(a, b)); });
    const auto& [v, da, db] = vg(a, b);
    CHECK(v() == Approx(4.0 - 0.125));
    CHECK(da(0) == Approx(2 * -2.0));      // b a^(b-1)
    CHECK(da(1) == Approx(3 * 0.25));
    CHECK(db(0) == 0.0);
    CHECK(db(1) == 0.0);
}
