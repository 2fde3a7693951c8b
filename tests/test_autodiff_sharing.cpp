// Shared subexpressions are evaluated once: f(w, x) = sum(tanh(x w) * (x w)) computes the forward
// matmul once per call, in tfx::function and in value_and_grad (f.stats(): kernel results computed
// and reused). And the finite-difference checker itself rejects a wrong derivative.
#include "test_autodiff_check.hpp"

namespace {

using adtest::rng;
using tfx::dyn;
using tfx::tensor;

auto shared = [](auto w, auto x) { return sum(tanh(matmul(x, w)) * matmul(x, w)); };

}  // namespace

TEST_CASE("sum(tanh(x w) * (x w)): the forward matmul is computed once per call", "[autodiff]") {
    rng r(1401);
    tensor<double, 6, 5> w;
    tensor<double, dyn, 6> x(7);
    adtest::fill_uniform(w, r, -1, 1);
    adtest::fill_uniform(x, r, -1, 1);

    // tfx::function: the reduction's fused loop reads x w twice; the second read reuses the first.
    auto f = tfx::function(shared);
    const double value = f(w, x)();
    CHECK(f.stats().kernels_computed == 1);
    CHECK(f.stats().kernels_reused == 1);

    // value_and_grad: the only kernel result kept is x w. Its adjoint is reached along two edges
    // (from tanh and from the product), so their sum, (x w) * (1 - tanh^2(x w)) + tanh(x w), is
    // evaluated once into the workspace: x w is computed there and reused by the two other reads;
    // the value's reduction reads it twice more (reused). The backward product x^T (adjoint) and the
    // reduction are written straight into the outputs and are not kept.
    auto vg = tfx::value_and_grad<0>(shared);
    for (std::size_t call = 1; call <= 3; ++call) {
        INFO("call " << call);
        const auto& [v, dw] = vg(w, x);
        CHECK(v() == Approx(value).epsilon(1e-14));
        CHECK(vg.stats().kernels_computed == call);
        CHECK(vg.stats().kernels_reused == 4 * call);
        (void)dw;
    }

    // With the gradient of x requested too, still one forward matmul per call.
    auto vg01 = tfx::value_and_grad<0, 1>(shared);
    vg01(w, x);
    CHECK(vg01.stats().kernels_computed == 1);

    const std::string m = adtest::check_grad(shared, w, x);
    INFO(m);
    CHECK(m.empty());
}

TEST_CASE("value_and_grad of logsumexp and max: the value is computed once and read by the gradient", "[autodiff]") {
    rng r(1402);
    tensor<double, dyn, 5> x(4);
    adtest::fill_uniform(x, r, -2, 2);
    x(1, 0) = x(1, 3) = 2.5;  // a tie for the maximum of row 1

    // d logsumexp / dx = exp(x - logsumexp(x)): the gradient reads the value's own logsumexp (not a
    // keepdims logsumexp of its own, reshaped in place, not copied), computed once per call.
    auto lse = [](auto x) { return sum(logsumexp<1>(x)); };
    auto vg = tfx::value_and_grad(lse);
    for (std::size_t call = 1; call <= 2; ++call) {
        INFO("call " << call);
        const auto& [v, dx] = vg(x);
        double expect = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            double s = 0;
            for (std::size_t j = 0; j < 5; ++j) s += std::exp(x(i, j));
            expect += std::log(s);
            for (std::size_t j = 0; j < 5; ++j) CHECK(dx(i, j) == Approx(std::exp(x(i, j)) / s).epsilon(1e-13));
        }
        CHECK(v() == Approx(expect).epsilon(1e-13));
        CHECK(vg.stats().kernels_computed == call);  // logsumexp<1>, inside the value's sum
        CHECK(vg.stats().kernels_reused == call);    // and read again, reshaped, by the gradient
    }

    // An output that another output reads is computed once too, whichever comes first.
    auto value_first = tfx::function([](auto x) {
        auto l = logsumexp<1>(x);
        return std::tuple{l, l * 2.0};
    });
    auto value_last = tfx::function([](auto x) {
        auto l = logsumexp<1>(x);
        return std::tuple{l * 2.0, l};
    });
    for (std::size_t call = 1; call <= 2; ++call) {
        INFO("call " << call);
        const auto& [l1, twice1] = value_first(x);
        const auto& [twice2, l2] = value_last(x);
        for (std::size_t i = 0; i < 4; ++i) {
            CHECK(twice1(i) == 2 * l1(i));
            CHECK(twice2(i) == 2 * l2(i));
            CHECK(l1(i) == l2(i));
        }
        CHECK(value_first.stats().kernels_computed == call);
        CHECK(value_first.stats().kernels_reused == call);
        CHECK(value_last.stats().kernels_computed == call);
        CHECK(value_last.stats().kernels_reused == call);
    }

    // max: the gradient compares x with the value's own maxima (ties share the gradient). Per call
    // two kernels: max<1> and the count of ties; max<1> is read twice more, reshaped, by the
    // gradient (in the comparison and in the count), and reused both times.
    auto mx = [](auto x) { return sum(max<1>(x)); };
    auto vgm = tfx::value_and_grad(mx);
    for (std::size_t call = 1; call <= 2; ++call) {
        INFO("call " << call);
        const auto& [vm, dm] = vgm(x);
        double expect = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            double m = x(i, 0);
            for (std::size_t j = 1; j < 5; ++j) m = std::max(m, x(i, j));
            int ties = 0;
            for (std::size_t j = 0; j < 5; ++j) ties += x(i, j) == m;
            CHECK(ties == (i == 1 ? 2 : 1));
            expect += m;
            for (std::size_t j = 0; j < 5; ++j) CHECK(dm(i, j) == (x(i, j) == m ? 1.0 / ties : 0.0));
        }
        CHECK(vm() == expect);
        CHECK(vgm.stats().kernels_computed == 2 * call);
        CHECK(vgm.stats().kernels_reused == 2 * call);
    }

    const std::string m1 = adtest::check_grad(lse, x);
    INFO(m1);
    CHECK(m1.empty());
}

TEST_CASE("the finite-difference check rejects a wrong derivative", "[autodiff]") {
    // A custom op sin(x) whose backward claims cos(x) + 0.01: the checker must report it.
    auto bad_sin = tfx::custom_vjp([](auto x) { return sin(x); },
                                   [](auto g, auto x) { return std::tuple{g * (cos(x) + 0.01)}; });
    auto good_sin = tfx::custom_vjp([](auto x) { return sin(x); }, [](auto g, auto x) { return std::tuple{g * cos(x)}; });
    tensor<double, 5> x{-1.0, -0.3, 0.2, 0.9, 1.4};
    CHECK_FALSE(adtest::check_vjp([bad_sin](auto x) { return bad_sin(x); }, x).empty());
    CHECK(adtest::check_vjp([good_sin](auto x) { return good_sin(x); }, x).empty());
}
