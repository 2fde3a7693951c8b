// Second order with exact answers: grad(grad(f)) of scalar functions against their analytic second
// derivatives (and a third), through elementwise functions, broadcasting, reductions and logsumexp;
// a Hessian-vector product with a known diagonal Hessian, and the symmetry <u, H v> == <v, H u>.
// Hessian-vector products against finite differences: test_autodiff_hvp.cpp.
#include "test_autodiff_check.hpp"

#include <cmath>

namespace {

using adtest::close;
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

TEST_CASE("grad(grad(f)) of scalar functions equals the analytic second derivative", "[autodiff]") {
    const double xs[] = {-1.3, -0.4, 0.35, 0.8, 1.7};
    auto second = [](auto f, double x) {
        auto g2 = tfx::grad(tfx::grad(f));
        const tensor<double> a = x;
        return double(g2(a)());
    };
    for (double x : xs) {
        INFO("x = " << x);
        CHECK(second([](auto a) { return sin(a) * a; }, x) == Approx(2 * std::cos(x) - x * std::sin(x)));
        CHECK(second([](auto a) { return exp(a) * a; }, x) == Approx((x + 2) * std::exp(x)));
        CHECK(second([](auto a) { return tanh(a); }, x) == Approx(-2 * std::tanh(x) * (1 - std::tanh(x) * std::tanh(x))));
        const double s = 1 / (1 + std::exp(-x));
        CHECK(second([](auto a) { return sigmoid(a); }, x) == Approx(s * (1 - s) * (1 - 2 * s)));
        CHECK(second([](auto a) { return softplus(a); }, x) == Approx(s * (1 - s)));
        CHECK(second([](auto a) { return a / (1.0 + a * a); }, x) ==
              Approx((2 * x * x * x - 6 * x) / std::pow(1 + x * x, 3)));
        CHECK(second([](auto a) { return pow(a, 3.0); }, x) == Approx(6 * x));
        const double phi = std::exp(-x * x / 2) / std::sqrt(2 * M_PI);
        CHECK(second([](auto a) { return gelu(a); }, x) == Approx(phi * (2 - x * x)));
        CHECK(second([](auto a) { return erf(a); }, x) == Approx(-4 * x / std::sqrt(M_PI) * std::exp(-x * x)));
        const double ax = std::abs(x);
        CHECK(second([](auto a) { return log(a * a) * a * a; }, x) == Approx(2 * std::log(ax * ax) + 6));
        CHECK(second([](auto a) { return sqrt(a * a + 1.0); }, x) == Approx(std::pow(x * x + 1, -1.5)));
    }
}

TEST_CASE("grad(grad(f)) through broadcasting, reductions and logsumexp", "[autodiff]") {
    const tensor<double, 4> c{-1.0, 0.5, 2.0, 0.25};
    const tensor<double> a = 0.3;
    SECTION("sum(exp(a c)), c of dynamic extent: sum(c^2 exp(a c))") {
        tensor<double, dyn> cd(4);
        std::copy(c.begin(), c.end(), cd.begin());
        auto g2 = tfx::grad(tfx::grad([](auto a, auto c) { return sum(exp(a * c)); }));
        double want = 0;
        for (std::size_t i = 0; i < 4; ++i) want += c(i) * c(i) * std::exp(a() * c(i));
        CHECK(g2(a, cd)() == Approx(want));
    }
    SECTION("logsumexp(a c): the variance of c under softmax(a c)") {
        auto g2 = tfx::grad(tfx::grad([](auto a, auto c) { return logsumexp(a * c); }));
        double z = 0, m1 = 0, m2 = 0;
        for (std::size_t i = 0; i < 4; ++i) z += std::exp(a() * c(i));
        for (std::size_t i = 0; i < 4; ++i) {
            const double p = std::exp(a() * c(i)) / z;
            m1 += p * c(i);
            m2 += p * c(i) * c(i);
        }
        CHECK(g2(a, c)() == Approx(m2 - m1 * m1));
    }
    SECTION("mixed partials of a b^2: grad<0>(grad<1>) == grad<1>(grad<0>) == 2b") {
        const tensor<double> b = -1.5;
        auto f = [](auto a, auto b) { return a * b * b; };
        auto g01 = tfx::grad<0>(tfx::grad<1>(f));
        auto g10 = tfx::grad<1>(tfx::grad<0>(f));
        CHECK(g01(a, b)() == Approx(2 * b()));
        CHECK(g10(a, b)() == Approx(2 * b()));
    }
    SECTION("third derivative: grad(grad(grad(sin(a) a)))") {
        auto g3 = tfx::grad(tfx::grad(tfx::grad([](auto a) { return sin(a) * a; })));
        CHECK(g3(a)() == Approx(-3 * std::sin(a()) - a() * std::cos(a())));
    }
}

TEST_CASE("Hessian-vector products: diagonal Hessian exactly, and <u, H v> == <v, H u>", "[autodiff]") {
    rng r(1102);
    const auto w = uniform<tensor<double, 9>>(r, -2, 2);
    const auto u = uniform<tensor<double, 9>>(r);
    const auto v = uniform<tensor<double, 9>>(r);
    auto f = [](auto w) { return sum(exp(w) * sin(w)); };  // f'' = 2 e^w cos(w), elementwise
    auto [g1, hv] = tfx::jvp(tfx::grad(f), std::tuple{w}, std::tuple{v});
    for (std::size_t k = 0; k < 9; ++k) CHECK(hv(k) == Approx(2 * std::exp(w(k)) * std::cos(w(k)) * v(k)).epsilon(1e-12));

    auto h = [](auto w, auto c) { return sum(softplus(w * c)) * sum(w); };  // a dense Hessian
    const auto c = uniform<tensor<double, 9>>(r);
    auto [g2, hv2] = tfx::jvp(tfx::grad(h), std::tuple{w, c}, std::tuple{v, 0});
    auto [g3, hu2] = tfx::jvp(tfx::grad(h), std::tuple{w, c}, std::tuple{u, 0});
    CHECK(close(adtest::dot(u, hv2), adtest::dot(v, hu2), 1e-12));
}

TEST_CASE("vjp of grad: a row of the Hessian", "[autodiff][second]") {
    tfx::tensor<double, 3> a{0.1, 0.2, 0.3};
    auto g = tfx::grad([](auto x) { return tfx::sum(tfx::sin(x) * x); });
    auto [ga, pb] = tfx::vjp(g, a);
    tfx::tensor<double, 3> c{1, 0, 0};
    auto [h] = pb(c);  // d/dx0 (cos x0 * x0 + sin x0) = 2 cos x0 - x0 sin x0; the Hessian is diagonal
    CHECK(ga(1) == Approx(std::cos(0.2) * 0.2 + std::sin(0.2)).epsilon(1e-12));
    CHECK(h(0) == Approx(2 * std::cos(0.1) - 0.1 * std::sin(0.1)).epsilon(1e-12));
    CHECK(h(1) == 0);
    CHECK(h(2) == 0);
}
