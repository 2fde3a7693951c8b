// Reverse and forward mode of sum, mean and prod over one axis, several axes, all axes and with
// keepdims, against finite differences in double precision (helpers in test_autodiff_check.hpp).
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_derivatives;
using adtest::rng;
using tfx::dyn;
using tfx::keepdims;
using tfx::tensor;

using X = tensor<double, 2, 3, 4>;

X uniform(rng& r, double lo, double hi) {
    X t;
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}

}  // namespace

TEST_CASE("vjp and jvp of sum match finite differences", "[autodiff]") {
    rng r(401);
    const X x = uniform(r, -1, 1);
    SECTION("one axis") { check_derivatives([](auto x) { return sum<1>(x * x); }, x); }
    SECTION("several axes") { check_derivatives([](auto x) { return sum<0, 2>(x * x); }, x); }
    SECTION("all axes") { check_derivatives([](auto x) { return sum(x * x); }, x); }
    SECTION("keepdims, negative axis") { check_derivatives([](auto x) { return sum<-1>(x * x, keepdims); }, x); }
    SECTION("dynamic extent") {
        tensor<double, dyn, 3, 4> xd(2);
        adtest::fill_uniform(xd, r, -1, 1);
        check_derivatives([](auto x) { return sum<0>(exp(x)); }, xd);
    }
}

TEST_CASE("vjp and jvp of mean match finite differences", "[autodiff]") {
    rng r(402);
    const X x = uniform(r, -1, 1);
    SECTION("one axis") { check_derivatives([](auto x) { return mean<2>(x * x); }, x); }
    SECTION("several axes") { check_derivatives([](auto x) { return mean<0, 1>(x * x); }, x); }
    SECTION("all axes") { check_derivatives([](auto x) { return mean(x * x); }, x); }
    SECTION("keepdims") { check_derivatives([](auto x) { return mean<0>(x * x, keepdims); }, x); }
}

TEST_CASE("vjp and jvp of prod match finite differences", "[autodiff]") {
    rng r(403);
    X x;
    adtest::fill_signed(x, r, 0.5, 1.5);
    SECTION("one axis") { check_derivatives([](auto x) { return prod<1>(x); }, x); }
    SECTION("several axes") { check_derivatives([](auto x) { return prod<1, 2>(x); }, x); }
    SECTION("all axes") { check_derivatives([](auto x) { return prod(x); }, x); }
    SECTION("keepdims") { check_derivatives([](auto x) { return prod<-1>(x, keepdims); }, x); }
}

TEST_CASE("prod's gradient at a zero element is the product of the others, as in TensorFlow", "[autodiff]") {
    // prod is a polynomial: smooth everywhere, zeros included (TensorFlow computes its gradient with
    // exclusive cumulative products, not prod / x).
    const tensor<double, 2, 3> x{{0.0, 2.0, 3.0}, {1.5, 0.0, 0.0}};
    auto g = tfx::grad([](auto x) { return sum(prod<1>(x)); });
    const auto& dx = g(x);
    const double want[2][3] = {{6.0, 0.0, 0.0}, {0.0, 0.0, 0.0}};
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            INFO("d/dx(" << i << ", " << j << ")");
            CHECK(dx(i, j) == want[i][j]);
        }
    check_derivatives([](auto x) { return prod<1>(x); }, x);
}
