// Hessian-vector products: jvp(grad(f), {w, ...}, {v, 0...}) against finite differences of the
// gradient along v (helpers in test_autodiff_check.hpp). Second derivatives: test_autodiff_second.cpp.
#include "test_autodiff_check.hpp"

namespace {

using adtest::check_hvp;
using adtest::rng;
using tfx::dyn;
using tfx::tensor;

template <class Tn>
Tn uniform(rng& r, double lo = -1, double hi = 1) {
    Tn t;
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}

}  // namespace

TEST_CASE("Hessian-vector products jvp(grad(f)) match finite differences of the gradient", "[autodiff]") {
    rng r(1101);
    SECTION("sum(tanh(x w)^2)") {
        const auto w = uniform<tensor<double, 4, 3>>(r);
        const auto v = uniform<tensor<double, 4, 3>>(r);
        tensor<double, dyn, 4> x(5);
        adtest::fill_uniform(x, r, -1, 1);
        const std::string m = check_hvp([](auto w, auto x) { return sum(square(tanh(matmul(x, w)))); }, w, v, x);
        INFO(m);
        CHECK(m.empty());
    }
    SECTION("softmax cross-entropy with bias and int64 labels") {
        const auto w = uniform<tensor<double, 4, 5>>(r);
        const auto v = uniform<tensor<double, 4, 5>>(r);
        const auto x = uniform<tensor<double, 6, 4>>(r);
        const auto b = uniform<tensor<double, 5>>(r);
        const tensor<std::int64_t, 6> labels{1, 0, 4, 4, 2, 3};
        const std::string m = check_hvp(
            [](auto w, auto x, auto b, auto y) {
                auto z = matmul(x, w) + b;
                return mean(logsumexp<1>(z) - gather<1, 1>(z, y));
            },
            w, v, x, b, labels);
        INFO(m);
        CHECK(m.empty());
    }
}
