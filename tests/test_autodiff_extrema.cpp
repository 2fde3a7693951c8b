// Reverse and forward mode of max and min over one axis, several axes, all axes and with keepdims,
// against finite differences in double precision, on inputs without ties (helpers in
// test_autodiff_check.hpp); on ties max/min share the gradient equally, as TensorFlow's do.
// logsumexp is in test_autodiff_logsumexp.cpp (split for the compiler).
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_derivatives;
using adtest::rng;
using tfx::dyn;
using tfx::keepdims;
using tfx::tensor;

using X = tensor<double, 2, 3, 4>;

X distinct(rng& r) {
    X t;
    adtest::fill_distinct(t, r);
    return t;
}

}  // namespace

TEST_CASE("vjp and jvp of max match finite differences away from ties", "[autodiff]") {
    rng r(501);
    const X x = distinct(r);
    SECTION("one axis") { check_derivatives([](auto x) { return max<1>(x); }, x); }
    SECTION("several axes") { check_derivatives([](auto x) { return max<0, 2>(x); }, x); }
    SECTION("all axes") { check_derivatives([](auto x) { return max(x); }, x); }
    SECTION("keepdims") { check_derivatives([](auto x) { return max<-1>(x, keepdims); }, x); }
}

TEST_CASE("vjp and jvp of min match finite differences away from ties", "[autodiff]") {
    rng r(502);
    const X x = distinct(r);
    SECTION("one axis") { check_derivatives([](auto x) { return min<2>(x); }, x); }
    SECTION("several axes") { check_derivatives([](auto x) { return min<0, 1>(x); }, x); }
    SECTION("all axes") { check_derivatives([](auto x) { return min(x); }, x); }
    SECTION("keepdims") { check_derivatives([](auto x) { return min<0>(x, keepdims); }, x); }
}

TEST_CASE("max and min share the gradient equally between ties, as in TensorFlow", "[autodiff]") {
    const tensor<double, 2, 3> x{{1.0, 3.0, 3.0}, {2.0, 2.0, 2.0}};
    auto g = tfx::grad<0, 1>([](auto a, auto b) { return sum(max<1>(a)) + sum(min<1>(b)); });
    const auto& [da, db] = g(x, x);
    const double want_max[2][3] = {{0.0, 0.5, 0.5}, {1.0 / 3, 1.0 / 3, 1.0 / 3}};
    const double want_min[2][3] = {{1.0, 0.0, 0.0}, {1.0 / 3, 1.0 / 3, 1.0 / 3}};
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            CHECK(da(i, j) == Approx(want_max[i][j]));
            CHECK(db(i, j) == Approx(want_min[i][j]));
        }
}
