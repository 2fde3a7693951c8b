// Integer and bool arguments get zero gradients (as TensorFlow's no-gradient), never garbage: from
// grad, value_and_grad and vjp, with labels through gather<1, 1>, masks through where, counts
// through cast.
#include "test_autodiff_check.hpp"

namespace {

using adtest::rng;
using tfx::dyn;
using tfx::tensor;

auto cross_entropy = [](auto w, auto labels, auto x) {
    auto z = matmul(x, w);
    return mean(logsumexp<1>(z) - gather<1, 1>(z, labels));
};

}  // namespace

TEST_CASE("int64 labels through gather<1, 1> get a zero gradient, call after call", "[autodiff]") {
    rng r(1301);
    tensor<double, 4, 5> w;
    adtest::fill_uniform(w, r, -1, 1);
    auto g = tfx::grad<1>(cross_entropy);
    auto g01 = tfx::grad<0, 1>(cross_entropy);
    for (std::size_t n : {6u, 3u, 9u}) {  // new shapes: new output storage each time
        INFO("batch " << n);
        tensor<double, dyn, 4> x(n);
        adtest::fill_uniform(x, r, -1, 1);
        tensor<std::int64_t, dyn> labels(n);
        for (std::size_t i = 0; i < n; ++i) labels(i) = std::int64_t((i * 3 + 1) % 5);
        const auto& dl = g(w, labels, x);
        static_assert(std::is_same_v<std::remove_cvref_t<decltype(dl)>, tensor<std::int64_t, dyn>>);
        REQUIRE(dl.shape() == labels.shape());
        for (auto v : dl) CHECK(v == 0);
        const auto& [dw, dl2] = g01(w, labels, x);
        REQUIRE(dl2.shape() == labels.shape());
        for (auto v : dl2) CHECK(v == 0);
        double total = 0;
        for (double v : dw) total += std::abs(v);
        CHECK(total > 0);
    }
}

TEST_CASE("vjp gives integer arguments zero cotangents", "[autodiff]") {
    rng r(1302);
    tensor<double, 4, 5> w;
    tensor<double, 3, 4> x;
    adtest::fill_uniform(w, r, -1, 1);
    adtest::fill_uniform(x, r, -1, 1);
    const tensor<std::int64_t, 3> labels{4, 4, 0};
    auto [y, pullback] = tfx::vjp(cross_entropy, w, labels, x);
    const auto [cw, cl, cx] = pullback(tensor<double>(1.0));
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(cl)>, tensor<std::int64_t, 3>>);
    for (auto v : cl) CHECK(v == 0);
}

TEST_CASE("a bool mask through where gets a zero gradient", "[autodiff]") {
    const tensor<double, 2, 3> w{{1.0, -2.0, 0.5}, {3.0, 0.25, -1.0}};
    const tensor<bool, 2, 3> mask{{true, false, true}, {false, false, true}};
    auto vg = tfx::value_and_grad<0, 1>([](auto w, auto m) { return sum(where(m, w * w, w)); });
    const auto& [v, dw, dm] = vg(w, mask);
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(dm)>, tensor<bool, 2, 3>>);
    for (bool b : dm) CHECK_FALSE(b);
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j) CHECK(dw(i, j) == (mask(i, j) ? 2 * w(i, j) : 1.0));
}

TEST_CASE("int32 counts through cast<double> get a zero gradient", "[autodiff]") {
    const tensor<double, 4> w{0.5, -1.0, 2.0, 0.0};
    const tensor<std::int32_t, 4> n{3, -1, 0, 7};
    auto g = tfx::grad<0, 1>([](auto w, auto n) { return sum(w * cast<double>(n)); });
    const auto& [dw, dn] = g(w, n);
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(dn)>, tensor<std::int32_t, 4>>);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(dw(i) == double(n(i)));
        CHECK(dn(i) == 0);
    }
}
