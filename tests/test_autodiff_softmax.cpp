// Reverse and forward mode of softmax and log_softmax against finite differences in double
// precision (helpers in test_autodiff_check.hpp).
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_derivatives;
using adtest::rng;
using tfx::dyn;
using tfx::tensor;

using X = tensor<double, 2, 3, 4>;

}  // namespace

TEST_CASE("vjp and jvp of softmax match finite differences", "[autodiff]") {
    rng r(601);
    X x;
    adtest::fill_uniform(x, r, -2, 2);
    SECTION("last axis") { check_derivatives([](auto x) { return softmax(x); }, x); }
    SECTION("axis 0") { check_derivatives([](auto x) { return softmax<0>(x); }, x); }
    SECTION("of an expression, dynamic extent") {
        tensor<double, dyn, 5> xd(3);
        tensor<double, 5> b;
        adtest::fill_uniform(xd, r, -2, 2);
        adtest::fill_uniform(b, r, -1, 1);
        check_derivatives([](auto x, auto b) { return softmax<1>(x * 2.0 + b); }, xd, b);
    }
}

TEST_CASE("vjp and jvp of log_softmax match finite differences", "[autodiff]") {
    rng r(602);
    X x;
    adtest::fill_uniform(x, r, -2, 2);
    SECTION("last axis") { check_derivatives([](auto x) { return log_softmax(x); }, x); }
    SECTION("axis 1") { check_derivatives([](auto x) { return log_softmax<1>(x); }, x); }
}

TEST_CASE("softmax cross-entropy: the gradient of the logits is (softmax - one_hot) / n", "[autodiff]") {
    rng r(603);
    tensor<double, 4, 5> logits;
    adtest::fill_uniform(logits, r, -2, 2);
    const tensor<std::int64_t, 4> labels{3, 0, 4, 3};
    auto loss = [](auto z, auto y) { return -mean(gather<1, 1>(log_softmax<1>(z), y)); };
    check_derivatives(loss, logits, labels);
    auto g = tfx::grad(loss);
    const auto& dz = g(logits, labels);
    const tensor<double, 4, 5> p = softmax<1>(logits);
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 5; ++j)
            CHECK(dz(i, j) == Approx((p(i, j) - (std::int64_t(j) == labels(i) ? 1.0 : 0.0)) / 4).margin(1e-14));
}
