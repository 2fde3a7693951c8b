// The eager form gradient(expr, vars...) (the expression is the tape, leaves matched to the
// requested tensors by storage) and stop_gradient in every transformation.
#include "test_autodiff_check.hpp"

#include <numeric>

namespace {

using adtest::rng;
using tfx::dyn;
using tfx::tensor;

template <class Tn>
Tn uniform(rng& r, double lo = -1, double hi = 1) {
    Tn t;
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}

template <class A, class B>
void check_equal(const A& got, const B& want, double tol = 1e-12) {
    REQUIRE(got.shape() == want.shape());
    for (std::size_t k = 0; k < got.size(); ++k) {
        INFO("element " << k);
        CHECK(double(got.data()[k]) == Approx(double(want.data()[k])).epsilon(tol).margin(tol));
    }
}

}  // namespace

TEST_CASE("gradient(expr, W, b) equals value_and_grad of the same loss", "[autodiff]") {
    rng r(1201);
    const auto W = uniform<tensor<double, 4, 3>>(r);
    const auto b = uniform<tensor<double, 3>>(r);
    tensor<double, dyn, 4> x(5);
    tensor<double, dyn, 3> y(5);
    adtest::fill_uniform(x, r, -1, 1);
    adtest::fill_uniform(y, r, -1, 1);
    const auto [l, dW, db] = tfx::gradient(mean(square(matmul(x, W) + b - y)), W, b);
    auto vg = tfx::value_and_grad<0, 1>([](auto W, auto b, auto x, auto y) { return mean(square(matmul(x, W) + b - y)); });
    const auto& [l2, dW2, db2] = vg(W, b, x, y);
    CHECK(l() == Approx(l2()).epsilon(1e-14));
    check_equal(dW, dW2);
    check_equal(db, db2);
}

TEST_CASE("gradient: a tensor used in several places gets the sum of its contributions", "[autodiff]") {
    rng r(1202);
    const auto W = uniform<tensor<double, 4, 3>>(r);
    const auto x = uniform<tensor<double, 5, 4>>(r);
    SECTION("sum(W * W) + sum(x W): 2 W + column sums of x") {
        const auto [v, dW] = tfx::gradient(sum(W * W) + sum(matmul(x, W)), W);
        for (std::size_t k = 0; k < 4; ++k)
            for (std::size_t j = 0; j < 3; ++j) {
                double colsum = 0;
                for (std::size_t i = 0; i < 5; ++i) colsum += x(i, k);
                CHECK(dW(k, j) == Approx(2 * W(k, j) + colsum).epsilon(1e-12));
            }
    }
    SECTION("a repeated subexpression, tanh(x W) * (x W), as value_and_grad gives it") {
        const auto [v, dW, dx] = tfx::gradient(sum(tanh(matmul(x, W)) * matmul(x, W)), W, x);
        auto vg = tfx::value_and_grad<0, 1>([](auto W, auto x) { return sum(tanh(matmul(x, W)) * matmul(x, W)); });
        const auto& [v2, dW2, dx2] = vg(W, x);
        CHECK(v() == Approx(v2()).epsilon(1e-14));
        check_equal(dW, dW2);
        check_equal(dx, dx2);
    }
}

TEST_CASE("gradient: a tensor the expression does not read gets zeros", "[autodiff]") {
    rng r(1203);
    const auto W = uniform<tensor<double, 4, 3>>(r);
    const auto b = uniform<tensor<double, 3>>(r, 1, 2);  // non-zero: the gradient must not echo it
    tensor<double, dyn> unused(7);
    unused.fill(5.0);
    const auto [v, dW, db, du] = tfx::gradient(sum(W * 2.0), W, b, unused);
    CHECK(v() == Approx(2 * std::accumulate(W.begin(), W.end(), 0.0)));
    for (double g : dW) CHECK(g == 2.0);
    for (double g : db) CHECK(g == 0.0);
    REQUIRE(du.shape() == unused.shape());
    for (double g : du) CHECK(g == 0.0);
}

TEST_CASE("gradient: integer tensors in the expression get zero gradients", "[autodiff]") {
    rng r(1204);
    const auto z = uniform<tensor<double, 4, 5>>(r);
    const tensor<std::int64_t, 4> labels{1, 4, 0, 1};
    const auto [v, dz, dl] = tfx::gradient(-mean(gather<1, 1>(log_softmax<1>(z), labels)), z, labels);
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(dl)>, tensor<std::int64_t, 4>>);
    for (auto g : dl) CHECK(g == 0);
    const tensor<double, 4, 5> p = softmax<1>(z);
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 5; ++j)
            CHECK(dz(i, j) == Approx((p(i, j) - (std::int64_t(j) == labels(i) ? 1.0 : 0.0)) / 4).margin(1e-14));
}

TEST_CASE("stop_gradient: the value flows, the gradient does not", "[autodiff]") {
    rng r(1205);
    const auto x = uniform<tensor<double, 2, 3>>(r);
    SECTION("value_and_grad: x * stop_gradient(x) has gradient x, not 2x; the value is f's") {
        auto f = [](auto x) { return sum(x * stop_gradient(x)); };
        auto vg = tfx::value_and_grad(f);
        const auto& [v, dx] = vg(x);
        auto fn = tfx::function(f);
        CHECK(v() == fn(x)());
        check_equal(dx, x, 0);
    }
    SECTION("value_and_grad: a fully stopped term contributes nothing") {
        auto f = [](auto x) { return sum(stop_gradient(exp(x))) + sum(x * 3.0); };
        auto vg = tfx::value_and_grad(f);
        const auto& [v, dx] = vg(x);
        auto fn = tfx::function(f);
        CHECK(v() == fn(x)());
        for (double g : dx) CHECK(g == 3.0);
    }
    SECTION("vjp and jvp: the stopped operand is a constant") {
        auto f = [](auto x) { return x * stop_gradient(sin(x)); };
        const auto c = uniform<tensor<double, 2, 3>>(r);
        auto [y, pullback] = tfx::vjp(f, x);
        const auto [cx] = pullback(c);
        const auto t = uniform<tensor<double, 2, 3>>(r);
        auto [y2, tx] = tfx::jvp(f, std::tuple{x}, std::tuple{t});
        for (std::size_t k = 0; k < x.size(); ++k) {
            CHECK(cx.data()[k] == Approx(c.data()[k] * std::sin(x.data()[k])));
            CHECK(tx.data()[k] == Approx(t.data()[k] * std::sin(x.data()[k])));
        }
    }
    SECTION("eager gradient") {
        const auto [v, dx] = tfx::gradient(sum(x * stop_gradient(x)), x);
        check_equal(dx, x, 0);
    }
}
