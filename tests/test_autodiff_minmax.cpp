// Reverse and forward mode of maximum, minimum and clip against finite differences in double
// precision, with inputs away from ties and bounds (helpers in test_autodiff_check.hpp); on ties the
// gradient goes to the first operand, as TensorFlow's does.
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_derivatives;
using adtest::rng;
using tfx::tensor;

// a and b with all 12 values pairwise distinct (no ties between them).
std::pair<tensor<double, 2, 3>, tensor<double, 2, 3>> distinct_pair(rng& r) {
    tensor<double, 4, 3> all;
    adtest::fill_distinct(all, r);
    tensor<double, 2, 3> a, b;
    std::copy(all.begin(), all.begin() + 6, a.begin());
    std::copy(all.begin() + 6, all.end(), b.begin());
    return {a, b};
}

}  // namespace

TEST_CASE("vjp and jvp of maximum and minimum match finite differences away from ties", "[autodiff]") {
    rng r(301);
    const auto [a, b] = distinct_pair(r);
    SECTION("maximum") { check_derivatives([](auto a, auto b) { return maximum(a, b); }, a, b); }
    SECTION("minimum") { check_derivatives([](auto a, auto b) { return minimum(a, b); }, a, b); }
    SECTION("maximum with a number") { check_derivatives([](auto a) { return maximum(a, 0.01); }, a); }
    SECTION("minimum broadcast [2,3] with [3]") {
        tensor<double, 3> c{-0.33, 0.08, 0.41};  // fill_distinct's values are 0.137 apart, none near these
        check_derivatives([](auto a, auto c) { return minimum(a, c); }, a, c);
    }
}

TEST_CASE("vjp and jvp of clip match finite differences away from the bounds", "[autodiff]") {
    const tensor<double, 2, 3> x{{-1.3, -0.2, 0.4}, {0.9, -0.7, 1.6}};
    SECTION("number bounds") { check_derivatives([](auto x) { return clip(x, -0.5, 0.7); }, x); }
    SECTION("tensor bounds [3] and [2,3]: the clipped elements' gradients go to the bounds") {
        const tensor<double, 3> lo{-0.5, 0.1, -1.0};
        const tensor<double, 2, 3> hi{{0.5, 0.3, 0.2}, {1.0, 0.8, 2.0}};
        check_derivatives([](auto x, auto lo, auto hi) { return clip(x, lo, hi); }, x, lo, hi);
    }
}

TEST_CASE("maximum and minimum on ties: the gradient goes to the first operand, as in TensorFlow", "[autodiff]") {
    const tensor<double, 3> a{1.0, 2.0, 3.0}, b{1.0, 0.0, 3.0};
    auto g = tfx::grad<0, 1, 2, 3>([](auto a, auto b, auto c, auto d) { return sum(maximum(a, b)) + sum(minimum(c, d)); });
    const auto& [da, db, dc, dd] = g(a, b, a, b);
    CHECK(da(0) == 1.0);
    CHECK(db(0) == 0.0);
    CHECK(da(1) == 1.0);
    CHECK(db(1) == 0.0);
    CHECK(da(2) == 1.0);
    CHECK(db(2) == 0.0);
    CHECK(dc(0) == 1.0);
    CHECK(dd(0) == 0.0);
    CHECK(dc(1) == 0.0);
    CHECK(dd(1) == 1.0);
    CHECK(dc(2) == 1.0);
    CHECK(dd(2) == 0.0);
}
