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

TEST_CASE("the finite-difference check rejects a wrong derivative", "[autodiff]") {
    // A custom op sin(x) whose backward claims cos(x) + 0.01: the checker must report it.
    auto bad_sin = tfx::custom_vjp([](auto x) { return sin(x); },
                                   [](auto g, auto x) { return std::tuple{g * (cos(x) + 0.01)}; });
    auto good_sin = tfx::custom_vjp([](auto x) { return sin(x); }, [](auto g, auto x) { return std::tuple{g * cos(x)}; });
    tensor<double, 5> x{-1.0, -0.3, 0.2, 0.9, 1.4};
    CHECK_FALSE(adtest::check_vjp([bad_sin](auto x) { return bad_sin(x); }, x).empty());
    CHECK(adtest::check_vjp([good_sin](auto x) { return good_sin(x); }, x).empty());
}
