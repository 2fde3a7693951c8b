// Reverse and forward mode of tanh, sigmoid, erf, gelu, softplus and the rectifiers against finite
// differences in double precision (helpers in test_autodiff_check.hpp); the rectifiers are tested
// away from their kink at 0, and their gradient at 0 is pinned to TensorFlow's.
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_derivatives;
using adtest::rng;
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

TEST_CASE("vjp and jvp of tanh, sigmoid and erf match finite differences", "[autodiff]") {
    rng r(201);
    SECTION("tanh") { check_derivatives([](auto x) { return tanh(x); }, uniform(r, -2, 2)); }
    SECTION("sigmoid") { check_derivatives([](auto x) { return sigmoid(x); }, uniform(r, -3, 3)); }
    SECTION("erf") { check_derivatives([](auto x) { return erf(x); }, uniform(r, -2, 2)); }
}

TEST_CASE("vjp and jvp of gelu and softplus match finite differences", "[autodiff]") {
    rng r(202);
    SECTION("gelu") { check_derivatives([](auto x) { return gelu(x); }, uniform(r, -3, 3)); }
    SECTION("softplus") { check_derivatives([](auto x) { return softplus(x); }, signed_away(r, 0.05, 4)); }
}

TEST_CASE("vjp and jvp of relu, leaky_relu and elu match finite differences away from 0", "[autodiff]") {
    rng r(203);
    const X x = signed_away(r, 0.05, 2);
    SECTION("relu") { check_derivatives([](auto x) { return relu(x); }, x); }
    SECTION("leaky_relu, alpha 0.2") { check_derivatives([](auto x) { return leaky_relu(x); }, x); }
    SECTION("leaky_relu, alpha 0.1") { check_derivatives([](auto x) { return leaky_relu(x, 0.1); }, x); }
    SECTION("elu, alpha 1") { check_derivatives([](auto x) { return elu(x); }, x); }
    SECTION("elu, alpha 0.5") { check_derivatives([](auto x) { return elu(x, 0.5); }, x); }
}

TEST_CASE("relu and abs have gradient 0 at 0, leaky_relu alpha, as in TensorFlow", "[autodiff]") {
    const tensor<double, 3> z{0.0, 0.0, 0.0};
    auto g = tfx::grad<0, 1, 2>([](auto a, auto b, auto c) { return sum(relu(a)) + sum(abs(b)) + sum(leaky_relu(c, 0.25)); });
    const auto& [da, db, dc] = g(z, z, z);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(da(i) == 0.0);
        CHECK(db(i) == 0.0);
        CHECK(dc(i) == 0.25);
    }
}
