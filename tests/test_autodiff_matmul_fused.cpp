// Reverse mode of matmul against finite differences in double precision, split from
// test_autodiff_matmul.cpp for the compiler: broadcast batch axes (the broadcast operand's gradient
// is summed over the batch), a matmul fused with its bias and activation, and a matmul under a full
// sum or mean (row and column sums, no backward product).
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_derivatives;
using adtest::check_grad;
using adtest::rng;
using adtest::uniform_tensor;
using tfx::dyn;
using tfx::tensor;

}  // namespace

TEST_CASE("matmul with broadcast batch axes: the broadcast operand's gradient is summed over the batch", "[autodiff]") {
    rng r(704);
    SECTION("[2,3,4] @ [4,5]") {
        check_derivatives([](auto a, auto b) { return matmul(a, b); }, uniform_tensor<tensor<double, 2, 3, 4>>(r),
                          uniform_tensor<tensor<double, 4, 5>>(r));
    }
    SECTION("[3,4] @ [2,4,5]") {
        check_derivatives([](auto a, auto b) { return matmul(a, b); }, uniform_tensor<tensor<double, 3, 4>>(r),
                          uniform_tensor<tensor<double, 2, 4, 5>>(r));
    }
    SECTION("[2,1,3,4] @ [3,4,2]") {
        check_derivatives([](auto a, auto b) { return matmul(a, b); }, uniform_tensor<tensor<double, 2, 1, 3, 4>>(r),
                          uniform_tensor<tensor<double, 3, 4, 2>>(r));
    }
}

TEST_CASE("matmul fused with bias and activation: value_and_grad matches finite differences", "[autodiff]") {
    rng r(705);
    tensor<double, dyn, 4> x(5);
    adtest::fill_uniform(x, r, -1, 1);
    const auto w = uniform_tensor<tensor<double, 4, 3>>(r);
    const auto b = uniform_tensor<tensor<double, 3>>(r);
    auto f = [](auto w, auto b, auto x) { return sum(tanh(matmul(x, w) + b)); };
    const std::string m = check_grad(f, w, b, x);
    INFO(m);
    CHECK(m.empty());
    check_derivatives([](auto w, auto b, auto x) { return sigmoid(matmul(x, w) + b); }, w, b, x);
}

// The adjoint of a full sum or mean is one value everywhere; a matmul under it gets closed-form
// adjoints (row and column sums of the other operand) instead of two backward products.
TEST_CASE("a matmul under a full sum or mean: row and column sums, no backward product", "[autodiff]") {
    rng r(706);
    const auto a = uniform_tensor<tensor<double, 3, 4>>(r);
    const auto b = uniform_tensor<tensor<double, 4, 5>>(r);
    auto count = [](const std::string& g, const std::string& what) {
        std::size_t n = 0;
        for (std::size_t at = g.find(what); at != std::string::npos; at = g.find(what, at + 1)) ++n;
        return n;
    };
    SECTION("sum, mean, a scaled sum and a sum of matmul + bias match finite differences") {
        auto f1 = [](auto a, auto b) { return sum(matmul(a, b)); };
        auto f2 = [](auto a, auto b) { return mean(matmul(a, b)); };
        auto f3 = [](auto a, auto b) { return 2.5 * sum(matmul(a, b)); };
        auto f4 = [](auto a, auto b) { return sum(matmul(a, b) + 0.5); };
        for (const std::string& m : {check_grad(f1, a, b), check_grad(f2, a, b), check_grad(f3, a, b), check_grad(f4, a, b)}) {
            INFO(m);
            CHECK(m.empty());
        }
        const std::string g = tfx::value_and_grad<0, 1>(f3).graph(a, b);
        INFO(g);
        CHECK(count(g, "matmul") == 1);          // the value's product only
        CHECK(count(g, "sum [4] double") == 2);  // b's row sums (d/da) and a's column sums (d/db)
    }
    SECTION("a dynamic batch and a transposed operand") {
        tensor<double, dyn, 4> x(6);
        adtest::fill_uniform(x, r, -1, 1);
        const auto w = uniform_tensor<tensor<double, 5, 4>>(r);
        auto f = [](auto x, auto w) { return mean(matmul(x, transpose(w))); };
        const std::string m = check_grad(f, x, w);
        INFO(m);
        CHECK(m.empty());
        const std::string g = tfx::grad<0, 1>(f).graph(x, w);
        INFO(g);
        CHECK(count(g, "matmul") == 0);
    }
    SECTION("float, against the products it replaces") {
        rng rf(707);
        tensor<float, dyn, dyn> x(40, 33), w(33, 21);
        adtest::fill_uniform(x, rf, -1, 1);
        adtest::fill_uniform(w, rf, -1, 1);
        auto [dx, dw] = tfx::grad<0, 1>([](auto x, auto w) { return sum(matmul(x, w)); })(x, w);
        tensor<float, dyn, dyn> ones(40, 21);
        std::fill(ones.data(), ones.data() + ones.size(), 1.f);
        const tensor<float, dyn, dyn> rx = matmul(ones, transpose(w)), rw = matmul(transpose(x), ones);
        REQUIRE(dx.shape() == rx.shape());
        REQUIRE(dw.shape() == rw.shape());
        for (std::size_t k = 0; k < dx.size(); ++k) CHECK(dx.data()[k] == Approx(rx.data()[k]).epsilon(1e-5));
        for (std::size_t k = 0; k < dw.size(); ++k) CHECK(dw.data()[k] == Approx(rw.data()[k]).epsilon(1e-5));
    }
}
