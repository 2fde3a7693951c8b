// The floating-point functions (exp log log1p expm1 sqrt rsqrt square abs pow sin cos tanh erf
// sigmoid relu leaky_relu elu gelu softplus maximum minimum clip) against std:: references computed
// in double, on lengths that exercise the SIMD body and its tail; accuracy at the edges; special
// values and NaN.
#include "elementwise_checks.hpp"

#include <type_traits>

using namespace tfx_test;

// ---------------------------------------------------------------------------------------------
// floating-point functions

namespace {
constexpr double sqrt1_2 = 0.70710678118654752440;
double ref_sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
double ref_softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }
double ref_gelu(double x) { return 0.5 * x * (1 + std::erf(x * sqrt1_2)); }

// pow is computed as exp(b * log(a)): its error grows with |b * log(a)| (measured: up to ~19 ulp
// for these domains, float and double). erf: ~1.4 ulp in float; xsimd 8.1's double erf is
// measured at ~34 ulp (still ~1e-14 relative).
constexpr accuracy pow_accuracy{32, 0};
template <class T>
constexpr accuracy erf_accuracy{std::is_same_v<T, double> ? 64 : 4, 0};
}  // namespace

TEMPLATE_TEST_CASE("exp matches std::exp", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::exp(x); }, [](double x) { return std::exp(x); }, {-80, 80},
                          {4, 0});
}
TEMPLATE_TEST_CASE("log matches std::log", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::log(x); }, [](double x) { return std::log(x); }, {1e-3, 1e3});
}
TEMPLATE_TEST_CASE("log1p matches std::log1p", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::log1p(x); }, [](double x) { return std::log1p(x); },
                          {-0.99, 10}, {4, 0});
}
TEMPLATE_TEST_CASE("expm1 matches std::expm1", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::expm1(x); }, [](double x) { return std::expm1(x); },
                          {-10, 10}, {4, 0});
}
TEMPLATE_TEST_CASE("sqrt matches std::sqrt", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::sqrt(x); }, [](double x) { return std::sqrt(x); }, {0, 100},
                          exact);
}
TEMPLATE_TEST_CASE("rsqrt is 1 / sqrt to full precision", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::rsqrt(x); }, [](double x) { return 1 / std::sqrt(x); },
                          {1e-3, 100}, {2, 0});
}
TEMPLATE_TEST_CASE("square multiplies each element by itself", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::square(x); }, [](double x) { return x * x; }, {-100, 100},
                          exact);
}
TEMPLATE_TEST_CASE("abs matches std::abs", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::abs(x); }, [](double x) { return std::abs(x); }, {-100, 100},
                          exact);
}
TEMPLATE_TEST_CASE("pow matches std::pow, with numbers and broadcast rows", "[elementwise]", float, double) {
    check_binary<TestType>([](const auto& a, const auto& b) { return tfx::pow(a, b); },
                           [](double a, double b) { return std::pow(a, b); }, {0.1, 10}, {-3, 3}, pow_accuracy);
}
TEMPLATE_TEST_CASE("sin matches std::sin", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::sin(x); }, [](double x) { return std::sin(x); }, {-100, 100});
}
TEMPLATE_TEST_CASE("cos matches std::cos", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::cos(x); }, [](double x) { return std::cos(x); }, {-100, 100});
}
TEMPLATE_TEST_CASE("tanh matches std::tanh", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::tanh(x); }, [](double x) { return std::tanh(x); }, {-20, 20},
                          {4, 0});
}
TEMPLATE_TEST_CASE("erf matches std::erf", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::erf(x); }, [](double x) { return std::erf(x); }, {-4, 4},
                          erf_accuracy<TestType>);
}
TEMPLATE_TEST_CASE("sigmoid is 1 / (1 + exp(-x))", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::sigmoid(x); }, ref_sigmoid, {-30, 30}, {8, 0});
}
TEMPLATE_TEST_CASE("relu is max(x, 0)", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::relu(x); }, [](double x) { return std::max(x, 0.0); },
                          {-10, 10}, exact);
}
TEMPLATE_TEST_CASE("leaky_relu is x for x > 0 and alpha * x otherwise, alpha 0.2 by default", "[elementwise]", float,
                   double) {
    check_unary<TestType>([](const auto& x) { return tfx::leaky_relu(x); },
                          [](double x) { return x > 0 ? x : double(TestType(0.2)) * x; }, {-10, 10}, exact);
    check_unary<TestType>([](const auto& x) { return tfx::leaky_relu(x, 0.01); },
                          [](double x) { return x > 0 ? x : double(TestType(0.01)) * x; }, {-10, 10}, exact);
}
TEMPLATE_TEST_CASE("elu is x for x > 0 and alpha * expm1(x) otherwise, alpha 1 by default", "[elementwise]", float,
                   double) {
    check_unary<TestType>([](const auto& x) { return tfx::elu(x); },
                          [](double x) { return x > 0 ? x : std::expm1(x); }, {-10, 10}, {4, 0});
    check_unary<TestType>([](const auto& x) { return tfx::elu(x, 0.5); },
                          [](double x) { return x > 0 ? x : 0.5 * std::expm1(x); }, {-10, 10}, {4, 0});
}
TEMPLATE_TEST_CASE("gelu is the exact erf form", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::gelu(x); }, ref_gelu, {-10, 10}, {2 * erf_accuracy<TestType>.ulps, 1});
}
TEMPLATE_TEST_CASE("softplus is log(1 + exp(x))", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::softplus(x); }, ref_softplus, {-30, 30}, {8, 0});
}
TEMPLATE_TEST_CASE("maximum is the larger element, with numbers and broadcast rows", "[elementwise]", float, double) {
    check_binary<TestType>([](const auto& a, const auto& b) { return tfx::maximum(a, b); },
                           [](double a, double b) { return std::max(a, b); }, {-10, 10}, {-10, 10}, exact);
}
TEMPLATE_TEST_CASE("minimum is the smaller element, with numbers and broadcast rows", "[elementwise]", float, double) {
    check_binary<TestType>([](const auto& a, const auto& b) { return tfx::minimum(a, b); },
                           [](double a, double b) { return std::min(a, b); }, {-10, 10}, {-10, 10}, exact);
}
TEMPLATE_TEST_CASE("clip bounds every element to [lo, hi]", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::clip(x, -1, 2.5); },
                          [](double x) { return std::clamp(x, -1.0, 2.5); }, {-5, 5}, exact);
    // tensor bounds broadcast against x
    tensor<TestType, 2, 3> x{{-5, 0.5, 5}, {-5, 0.5, 5}};
    tensor<TestType, 3> lo{-1, 1, -1};
    tensor<TestType, 2, 1> hi{{2}, {0}};
    tensor<TestType, 2, 3> c = tfx::clip(x, lo, hi);
    CHECK(c(0, 0) == -1);
    CHECK(c(0, 1) == 1);
    CHECK(c(0, 2) == 2);
    CHECK(c(1, 0) == -1);
    CHECK(c(1, 1) == 0);
    CHECK(c(1, 2) == 0);
}

TEMPLATE_TEST_CASE("a composition of functions matches its double reference", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return tfx::tanh(tfx::exp(x * TestType(0.5)) - 1) * tfx::sigmoid(-x) + tfx::square(x); },
                          [](double x) { return std::tanh(std::exp(x * 0.5) - 1) * ref_sigmoid(-x) + x * x; },
                          {-3, 3}, {32, 1});
}

// ---------------------------------------------------------------------------------------------
// accuracy at the edges, special values

TEMPLATE_TEST_CASE("log1p and expm1 keep tiny arguments' precision", "[elementwise]", float, double) {
    tensor<TestType, dyn> x(40);
    for (std::size_t i = 0; i < 40; ++i) x(i) = TestType((i % 2 ? -1 : 1) * std::pow(10.0, -3.0 - double(i % 10)));
    tensor<TestType, dyn> l = tfx::log1p(x), e = tfx::expm1(x);
    std::vector<double> wl(40), we(40);
    for (std::size_t i = 0; i < 40; ++i) {
        wl[i] = std::log1p(double(x(i)));
        we[i] = std::expm1(double(x(i)));
    }
    const auto ml = mismatches(l.data(), wl, 4, 0, [&](std::size_t i) { return num(x(i)); });
    const auto me = mismatches(e.data(), we, 4, 0, [&](std::size_t i) { return num(x(i)); });
    INFO("log1p: " << ml);
    CHECK(ml.empty());
    INFO("expm1: " << me);
    CHECK(me.empty());
}

TEMPLATE_TEST_CASE("softplus and sigmoid neither overflow nor lose small values", "[elementwise]", float, double) {
    tensor<TestType, dyn> x{-1e4, -50, -20, 20, 50, 1e4, -1e4, -50, -20, 20, 50, 1e4, -1e4, -50, -20, 20, 50, 1e4,
                            -1e4, -50, -20, 20, 50, 1e4, -1e4, -50, -20, 20, 50, 1e4, -1e4, -50, -20, 20, 50, 1e4};
    tensor<TestType, dyn> sp = tfx::softplus(x), sg = tfx::sigmoid(x);
    std::vector<double> wsp(x.size()), wsg(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        wsp[i] = ref_softplus(double(x(i)));
        wsg[i] = ref_sigmoid(double(x(i)));
        if (std::is_same_v<TestType, float> && std::abs(wsg[i]) < 1e-37) wsg[i] = 0;  // below float's normal range
        if (std::is_same_v<TestType, float> && std::abs(wsp[i]) < 1e-37) wsp[i] = 0;
    }
    const auto msp = mismatches(sp.data(), wsp, 8, 0, [&](std::size_t i) { return num(x(i)); });
    const auto msg = mismatches(sg.data(), wsg, 8, 0, [&](std::size_t i) { return num(x(i)); });
    INFO("softplus: " << msp);
    CHECK(msp.empty());
    INFO("sigmoid: " << msg);
    CHECK(msg.empty());
}

TEMPLATE_TEST_CASE("pow of a negative base with an integer exponent is real, as std::pow", "[elementwise]", float,
                   double) {
    std::mt19937 gen(17);
    for (std::size_t n : lengths) {
        INFO("length " << n);
        tensor<TestType, dyn> x(n);
        fill_uniform<TestType>(x, -4, 4, gen);
        tensor<TestType, dyn> p2 = tfx::pow(x, 2), p3 = tfx::pow(x, 3.0);
        std::vector<double> w2(n), w3(n);
        for (std::size_t i = 0; i < n; ++i) {
            w2[i] = std::pow(double(x(i)), 2.0);
            w3[i] = std::pow(double(x(i)), 3.0);
        }
        const auto m2 = mismatches(p2.data(), w2, pow_accuracy.ulps, 0, [&](std::size_t i) { return num(x(i)); });
        const auto m3 = mismatches(p3.data(), w3, pow_accuracy.ulps, 0, [&](std::size_t i) { return num(x(i)); });
        INFO("x^2: " << m2);
        CHECK(m2.empty());
        INFO("x^3: " << m3);
        CHECK(m3.empty());
    }
}

TEMPLATE_TEST_CASE("special values follow IEEE in the SIMD body and in the tail", "[elementwise]", float, double) {
    using T = TestType;
    const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
    // 3 full batches' worth of positions: the value sits at every position class (body, tail).
    const std::size_t n = 3 * tfx::simd<T>::size + 5;
    auto all = [&](T v) {
        tensor<T, dyn> t(n);
        t.fill(v);
        return t;
    };
    auto all_equal = [&](const tensor<T, dyn>& t, T v) {
        for (T x : t)
            if (!(std::isnan(v) ? std::isnan(x) : x == v)) return false;
        return true;
    };
    CHECK(all_equal(tfx::eval(tfx::log(all(0))), -inf));
    CHECK(all_equal(tfx::eval(tfx::log(all(-1))), nan));
    CHECK(all_equal(tfx::eval(tfx::log(all(inf))), inf));
    CHECK(all_equal(tfx::eval(tfx::sqrt(all(-1))), nan));
    CHECK(all_equal(tfx::eval(tfx::rsqrt(all(0))), inf));
    CHECK(all_equal(tfx::eval(tfx::exp(all(-inf))), 0));
    CHECK(all_equal(tfx::eval(tfx::exp(all(inf))), inf));
    CHECK(all_equal(tfx::eval(tfx::exp(all(1000))), inf));
    CHECK(all_equal(tfx::eval(tfx::tanh(all(inf))), 1));
    CHECK(all_equal(tfx::eval(tfx::tanh(all(-inf))), -1));
    CHECK(all_equal(tfx::eval(tfx::sigmoid(all(-inf))), 0));
    CHECK(all_equal(tfx::eval(tfx::sigmoid(all(inf))), 1));
    CHECK(all_equal(tfx::eval(tfx::softplus(all(inf))), inf));
    CHECK(all_equal(tfx::eval(tfx::softplus(all(-inf))), 0));
    CHECK(all_equal(tfx::eval(tfx::elu(all(-inf))), -1));
    CHECK(all_equal(tfx::eval(tfx::relu(all(inf))), inf));
    CHECK(all_equal(tfx::eval(tfx::erf(all(inf))), 1));
    CHECK(all_equal(tfx::eval(tfx::log1p(all(-1))), -inf));
    CHECK(all_equal(tfx::eval(all(1) / all(0)), inf));
    CHECK(all_equal(tfx::eval(all(0) / all(0)), nan));
    CHECK(all_equal(tfx::eval(tfx::exp(all(nan))), nan));
    CHECK(all_equal(tfx::eval(tfx::abs(all(-inf))), inf));
}

TEMPLATE_TEST_CASE("maximum, minimum, relu and clip propagate NaN as NumPy does, in the body and the tail",
                   "[elementwise]", float, double) {
    using T = TestType;
    const T nan = std::numeric_limits<T>::quiet_NaN();
    const std::size_t n = 2 * tfx::simd<T>::size + 3;  // one full body iteration and a tail
    tensor<T, dyn> x(n), one(n);
    x.fill(nan);
    one.fill(1);
    auto nan_count = [](const tensor<T, dyn>& t) {
        std::size_t k = 0;
        for (T v : t) k += std::isnan(v);
        return k;
    };
    CHECK(nan_count(tfx::eval(tfx::maximum(x, one))) == n);
    CHECK(nan_count(tfx::eval(tfx::maximum(one, x))) == n);
    CHECK(nan_count(tfx::eval(tfx::minimum(x, one))) == n);
    CHECK(nan_count(tfx::eval(tfx::minimum(one, x))) == n);
    CHECK(nan_count(tfx::eval(tfx::relu(x))) == n);
    CHECK(nan_count(tfx::eval(tfx::clip(x, -1, 1))) == n);
}


TEMPLATE_TEST_CASE("rows shorter than a batch and rows' tails: exp over rows with a broadcast bias, row by row",
                   "[elementwise]", float, double) {
    // A broadcast operand makes the loop go row by row, so every row ends in a tail (one masked
    // batch on AVX2/AVX-512): each row must get its own values and none of its neighbour's.
    std::mt19937 gen(23);
    constexpr std::size_t W = tfx::simd<TestType>::size;
    for (std::size_t cols : {std::size_t(1), std::size_t(3), W - 1, W + 1, 2 * W + 5}) {
        INFO("row length " << cols);
        tensor<TestType, dyn, dyn> x(std::size_t(5), cols);
        tensor<TestType, dyn> b(cols);
        fill_uniform<TestType>(x, -3, 3, gen);
        fill_uniform<TestType>(b, -1, 1, gen);
        tensor<TestType, dyn, dyn> y = exp(x - b) * TestType(2);
        std::vector<double> want(5 * cols);
        for (std::size_t i = 0; i < 5; ++i)
            for (std::size_t j = 0; j < cols; ++j) want[i * cols + j] = 2 * std::exp(double(x(i, j)) - double(b(j)));
        const auto m = mismatches(y.data(), want, 8, 0, [&](std::size_t k) { return num(x.data()[k]); });
        INFO(m);
        CHECK(m.empty());
    }
}
