// logsumexp, softmax and log_softmax: against references computed in double, their identities
// (rows sum to 1, log_softmax == log(softmax)), and numerical stability for large and infinite
// logits.
#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using tfx::dims_t;
using tfx::dyn;
using tfx::keepdims;
using tfx::tensor;

constexpr std::size_t lengths[] = {1, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 1000, 1023};

template <class T>
constexpr double eps = std::numeric_limits<T>::epsilon();

// Row r of a [rows, n] matrix, in double.
template <class Tn>
std::vector<double> row(const Tn& x, std::size_t r) {
    const std::size_t n = x.shape()[1];
    return std::vector<double>(x.data() + r * n, x.data() + (r + 1) * n);
}
double ref_logsumexp(const std::vector<double>& v) {
    const double m = *std::max_element(v.begin(), v.end());
    if (std::isinf(m)) return m;
    double s = 0;
    for (double e : v) s += std::exp(e - m);
    return m + std::log(s);
}
// The same in long double: x - logsumexp(x) computed in double has an absolute error of a few eps
// times |logsumexp| (about 17 here), more than the 8 eps the softmax test allows; in long double
// the reference is exact to well below that.
long double ref_logsumexp_ld(const std::vector<double>& v) {
    const long double m = *std::max_element(v.begin(), v.end());
    if (std::isinf(m)) return m;
    long double s = 0;
    for (double e : v) s += std::exp((long double)e - m);
    return m + std::log(s);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// logsumexp

TEMPLATE_TEST_CASE("logsumexp<1> is log(sum(exp(x))) per row on every length", "[reduce]", float, double) {
    using T = TestType;
    std::mt19937 gen(50);
    std::uniform_real_distribution<double> d(-20, 20);
    for (std::size_t n : lengths) {
        INFO("length " << n);
        tensor<T, dyn, dyn> x(3, n);
        for (auto& v : x) v = T(d(gen));
        tensor<T, dyn> l = tfx::logsumexp<1>(x);
        REQUIRE(l.shape() == dims_t<1>{3});
        std::size_t bad = 0;
        for (std::size_t r = 0; r < 3; ++r) {
            const double want = ref_logsumexp(row(x, r));
            bad += std::abs(l(r) - want) > 8 * eps<T> * std::max(1.0, std::abs(want));
        }
        CHECK(bad == 0);
    }
}

TEMPLATE_TEST_CASE("logsumexp over other axes, all axes and with keepdims", "[reduce]", float, double) {
    using T = TestType;
    tensor<T, 2, 3> x{{0, 1, 2}, {3, 4, 5}};
    tensor l0 = tfx::logsumexp<0>(x);
    STATIC_REQUIRE(std::is_same_v<decltype(l0), tensor<T, 3>>);
    for (std::size_t j = 0; j < 3; ++j)
        CHECK(l0(j) == Approx(ref_logsumexp({double(x(0, j)), double(x(1, j))})).epsilon(8 * eps<T>));
    tensor all = tfx::logsumexp(x);
    STATIC_REQUIRE(std::is_same_v<decltype(all), tensor<T>>);
    CHECK(all() == Approx(ref_logsumexp({0, 1, 2, 3, 4, 5})).epsilon(8 * eps<T>));
    tensor k = tfx::logsumexp<-1>(x, keepdims);
    STATIC_REQUIRE(std::is_same_v<decltype(k), tensor<T, 2, 1>>);
    CHECK(k(1, 0) == Approx(ref_logsumexp({3, 4, 5})).epsilon(8 * eps<T>));
}

TEMPLATE_TEST_CASE("logsumexp is stable for logits of ±1e4 and -inf rows", "[reduce]", float, double) {
    using T = TestType;
    const T inf = std::numeric_limits<T>::infinity();
    tensor<T, dyn, 3> x{{T(1e4), T(1e4), T(1e4)},
                        {T(-1e4), T(-1e4), T(-1e4)},
                        {T(1e4), 0, T(-1e4)},
                        {-inf, -inf, -inf},
                        {-inf, 0, -inf},
                        {inf, 0, 1}};
    tensor<T, dyn> l = tfx::logsumexp<1>(x);
    REQUIRE(l.shape() == dims_t<1>{6});
    CHECK(l(0) == Approx(1e4 + std::log(3.0)).epsilon(4 * eps<T>));
    CHECK(l(1) == Approx(-1e4 + std::log(3.0)).epsilon(4 * eps<T>));
    CHECK(l(2) == Approx(1e4).epsilon(4 * eps<T>));
    CHECK(l(3) == -inf);
    CHECK(l(4) == 0);
    CHECK(l(5) == inf);

    // rows long enough for the SIMD path
    tensor<T, dyn, dyn> big(2, 100);
    big.fill(T(1e4));
    for (std::size_t j = 0; j < 100; ++j) big(1, j) = -inf;
    tensor<T, dyn> lb = tfx::logsumexp<1>(big);
    CHECK(lb(0) == Approx(1e4 + std::log(100.0)).epsilon(4 * eps<T>));
    CHECK(lb(1) == -inf);
}

TEMPLATE_TEST_CASE("logsumexp of an expression reduces the expression's values", "[reduce]", float, double) {
    using T = TestType;
    tensor<T, 2, 40> x;
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = T(0.1) * T(i % 40) - 1;
    tensor<T, 2> l = tfx::logsumexp<1>(x * T(3) + T(1));
    std::vector<double> r(40);
    for (std::size_t j = 0; j < 40; ++j) r[j] = double(x(0, j)) * 3 + 1;
    CHECK(l(0) == Approx(ref_logsumexp(r)).epsilon(8 * eps<T>));
}

// ---------------------------------------------------------------------------------------------
// softmax and log_softmax

TEMPLATE_TEST_CASE("softmax<1> matches the reference and its rows sum to 1 on every length", "[reduce]", float,
                   double) {
    using T = TestType;
    std::mt19937 gen(51);
    std::uniform_real_distribution<double> d(-10, 10);
    for (std::size_t n : lengths) {
        INFO("length " << n);
        tensor<T, dyn, dyn> x(3, n);
        for (auto& v : x) v = T(d(gen));
        tensor<T, dyn, dyn> p = tfx::softmax<1>(x);
        tensor<T, dyn, dyn> lp = tfx::log_softmax<1>(x);
        REQUIRE(p.shape() == dims_t<2>{3, n});
        REQUIRE(lp.shape() == dims_t<2>{3, n});
        std::size_t bad_p = 0, bad_lp = 0, bad_sum = 0, bad_log = 0;
        for (std::size_t r = 0; r < 3; ++r) {
            const long double lse = ref_logsumexp_ld(row(x, r));
            double s = 0;
            for (std::size_t j = 0; j < n; ++j) {
                const double want_lp = double((long double)x(r, j) - lse);
                bad_p += std::abs(p(r, j) - std::exp(want_lp)) > 8 * eps<T> * std::max(std::exp(want_lp), 1e-3);
                bad_lp += std::abs(lp(r, j) - want_lp) > 8 * eps<T> * std::max(1.0, std::abs(want_lp)) * 4;
                bad_log += p(r, j) > 1e-30 && std::abs(std::log(double(p(r, j))) - lp(r, j)) >
                                                  16 * eps<T> * std::max(1.0, std::abs(want_lp)) * 4;
                s += p(r, j);
            }
            bad_sum += std::abs(s - 1) > 4 * eps<T> * std::sqrt(double(n)) + 2 * eps<T>;
        }
        CHECK(bad_p == 0);
        CHECK(bad_lp == 0);
        CHECK(bad_sum == 0);
        CHECK(bad_log == 0);
    }
}

TEMPLATE_TEST_CASE("softmax<0> normalises each column", "[reduce]", float, double) {
    using T = TestType;
    tensor<T, 3, 2> x{{1, 0}, {2, 0}, {3, 0}};
    tensor p = tfx::softmax<0>(x);
    STATIC_REQUIRE(std::is_same_v<decltype(p), tensor<T, 3, 2>>);
    const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    CHECK(p(0, 0) == Approx(std::exp(1.0) / z).epsilon(8 * eps<T>));
    CHECK(p(2, 0) == Approx(std::exp(3.0) / z).epsilon(8 * eps<T>));
    CHECK(p(0, 1) == Approx(1.0 / 3).epsilon(8 * eps<T>));
    CHECK(p(1, 1) == Approx(1.0 / 3).epsilon(8 * eps<T>));

    tensor lp = tfx::log_softmax<0>(x);
    CHECK(lp(2, 0) == Approx(3 - std::log(z)).epsilon(8 * eps<T>));
    CHECK(lp(1, 1) == Approx(-std::log(3.0)).epsilon(8 * eps<T>));

    std::mt19937 gen(52);
    std::uniform_real_distribution<double> d(-5, 5);
    tensor<T, dyn, dyn> y(37, 5);
    for (auto& v : y) v = T(d(gen));
    tensor<T, dyn, dyn> q = tfx::softmax<0>(y);
    for (std::size_t j = 0; j < 5; ++j) {
        double s = 0;
        for (std::size_t i = 0; i < 37; ++i) s += q(i, j);
        CHECK(s == Approx(1).epsilon(16 * eps<T>));
    }
}

TEMPLATE_TEST_CASE("softmax and log_softmax default to the last axis", "[reduce]", float, double) {
    using T = TestType;
    tensor<T, 2, 3> x{{1, 2, 3}, {0, 0, 0}};
    tensor<T, 2, 3> a = tfx::softmax(x), b = tfx::softmax<1>(x), c = tfx::log_softmax(x), d = tfx::log_softmax<-1>(x);
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            CHECK(a(i, j) == b(i, j));
            CHECK(c(i, j) == d(i, j));
        }
    CHECK(a(1, 2) == Approx(1.0 / 3).epsilon(4 * eps<T>));
}

TEMPLATE_TEST_CASE("softmax is stable for logits of 1e4 and gives -inf logits probability 0", "[reduce]", float,
                   double) {
    using T = TestType;
    const T inf = std::numeric_limits<T>::infinity();
    tensor<T, dyn, 3> x{{T(1e4), T(1e4), T(1e4)}, {T(1e4), T(1e4) - 1, T(1e4) - 2}, {T(-1e4), 0, T(1e4)},
                        {-inf, 0, 0}};
    tensor<T, dyn, 3> p = tfx::softmax<1>(x);
    tensor<T, dyn, 3> lp = tfx::log_softmax<1>(x);
    std::size_t non_finite = 0;
    for (T v : p) non_finite += !std::isfinite(v);
    CHECK(non_finite == 0);
    CHECK(p(0, 0) == Approx(1.0 / 3).epsilon(4 * eps<T>));
    const double z = 1 + std::exp(-1.0) + std::exp(-2.0);
    CHECK(p(1, 0) == Approx(1 / z).epsilon(8 * eps<T>));
    CHECK(p(1, 2) == Approx(std::exp(-2.0) / z).epsilon(8 * eps<T>));
    CHECK(p(2, 2) == 1);
    CHECK(p(2, 0) == 0);
    CHECK(p(3, 0) == 0);
    CHECK(p(3, 1) == Approx(0.5).epsilon(4 * eps<T>));

    CHECK(lp(0, 1) == Approx(-std::log(3.0)).epsilon(8 * eps<T>));
    CHECK(lp(1, 2) == Approx(-2 - std::log(z)).epsilon(8 * eps<T>));
    CHECK(lp(2, 0) == Approx(-2e4).epsilon(4 * eps<T>));
    CHECK(lp(2, 2) == Approx(0).margin(4 * eps<T>));
    CHECK(lp(3, 0) == -inf);
    CHECK(lp(3, 2) == Approx(-std::log(2.0)).epsilon(4 * eps<T>));

    // long rows of large logits (the SIMD path)
    tensor<T, dyn, dyn> big(2, 100);
    for (std::size_t j = 0; j < 100; ++j) {
        big(0, j) = T(1e4) + T(j % 3);
        big(1, j) = T(-1e4) - T(j % 3);
    }
    tensor<T, dyn, dyn> pb = tfx::softmax<1>(big);
    double s0 = 0, s1 = 0;
    for (std::size_t j = 0; j < 100; ++j) {
        s0 += pb(0, j);
        s1 += pb(1, j);
    }
    CHECK(s0 == Approx(1).epsilon(32 * eps<T>));
    CHECK(s1 == Approx(1).epsilon(32 * eps<T>));
}

TEMPLATE_TEST_CASE("softmax along the middle axis of a rank-3 tensor and of an expression", "[reduce]", float, double) {
    using T = TestType;
    tensor<T, dyn, dyn, dyn> x(2, 5, 3);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = T(0.25) * T(i % 7);
    tensor<T, dyn, dyn, dyn> p = tfx::softmax<1>(x * T(2));
    tensor<T, dyn, dyn, dyn> lp = tfx::log_softmax<-2>(x * T(2));
    REQUIRE(p.shape() == dims_t<3>{2, 5, 3});
    std::size_t bad = 0;
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t k = 0; k < 3; ++k) {
            std::vector<double> col(5);
            for (std::size_t j = 0; j < 5; ++j) col[j] = 2 * double(x(i, j, k));
            const double lse = ref_logsumexp(col);
            for (std::size_t j = 0; j < 5; ++j) {
                bad += std::abs(p(i, j, k) - std::exp(col[j] - lse)) > 8 * eps<T>;
                bad += std::abs(lp(i, j, k) - (col[j] - lse)) > 16 * eps<T> * std::max(1.0, std::abs(col[j] - lse));
            }
        }
    CHECK(bad == 0);
}

TEMPLATE_TEST_CASE("softmax in place and combined with other ops", "[reduce]", float, double) {
    using T = TestType;
    tensor<T, dyn, 4> x{{1, 2, 3, 4}, {4, 3, 2, 1}};
    tensor<T, dyn, 4> want = tfx::softmax<1>(x);
    x = tfx::softmax<1>(x);
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(x.data()[i] == want.data()[i]);

    // cross-entropy-like: -sum(onehot * log_softmax(x)) per row
    tensor<T, dyn, 4> logits{{1, 2, 3, 4}, {0, 0, 0, 0}};
    tensor<T, dyn, 4> onehot{{0, 0, 0, 1}, {1, 0, 0, 0}};
    tensor<T, dyn> loss = -tfx::sum<1>(onehot * tfx::log_softmax<1>(logits));
    CHECK(loss(0) == Approx(ref_logsumexp({1, 2, 3, 4}) - 4).epsilon(8 * eps<T>));
    CHECK(loss(1) == Approx(std::log(4.0)).epsilon(8 * eps<T>));
}
