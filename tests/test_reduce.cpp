// Reductions over compile-time axes (sum mean prod max min, keepdims, negative axes, all axes) on
// static and dynamic shapes against a reference computed in double; reductions of elementwise
// producers; argmax/argmin. logsumexp and softmax are in test_softmax.cpp.
#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
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
using Catch::Matchers::Contains;

enum class red { sum, mean, prod, max, min };

// The reduction op of x (row-major, shape dims) over axes (normalised), in double, row-major over
// the kept axes.
std::vector<double> reference(const std::vector<double>& x, const std::vector<std::size_t>& dims,
                              const std::vector<int>& axes, red op) {
    const std::size_t R = dims.size();
    std::vector<bool> reduced(R, false);
    for (int a : axes) reduced[std::size_t(a)] = true;
    std::size_t out_n = 1, count = 1;
    for (std::size_t k = 0; k < R; ++k) (reduced[k] ? count : out_n) *= dims[k];
    const double init = op == red::prod  ? 1.0
                        : op == red::max ? -std::numeric_limits<double>::infinity()
                        : op == red::min ? std::numeric_limits<double>::infinity()
                                         : 0.0;
    std::vector<double> out(out_n, init);
    std::vector<std::size_t> idx(R, 0);
    for (std::size_t i = 0; i < x.size(); ++i) {
        std::size_t rem = i;
        for (std::size_t k = R; k-- > 0;) {
            idx[k] = rem % dims[k];
            rem /= dims[k];
        }
        std::size_t o = 0;
        for (std::size_t k = 0; k < R; ++k)
            if (!reduced[k]) o = o * dims[k] + idx[k];
        double& r = out[o];
        switch (op) {
            case red::sum:
            case red::mean: r += x[i]; break;
            case red::prod: r *= x[i]; break;
            case red::max: r = std::max(r, x[i]); break;
            case red::min: r = std::min(r, x[i]); break;
        }
    }
    if (op == red::mean)
        for (auto& v : out) v /= double(count);
    return out;
}

template <class Tn>
std::vector<double> values(const Tn& t) {
    return std::vector<double>(t.begin(), t.end());
}
template <class Tn>
std::vector<std::size_t> dims_of(const Tn& t) {
    auto s = t.shape();
    return std::vector<std::size_t>(s.begin(), s.end());
}

// Small integers (exact sums in float) or, for prod, powers of two (exact products).
template <class Tn>
void fill_exact(Tn& t, std::mt19937& gen, bool for_prod = false) {
    using T = typename Tn::value_type;
    std::uniform_int_distribution<int> d(-8, 8), p(0, 5);
    const T pw[] = {T(-2), T(-1), T(-0.5), T(0.5), T(1), T(2)};
    for (auto& v : t) v = for_prod ? pw[p(gen)] : T(d(gen));
}

// y == reference within ulps (relative, or absolute below 1 in magnitude); the reduced shape too.
template <class Y>
std::string compare(const Y& y, const std::vector<double>& want, const std::vector<std::size_t>& want_dims,
                    double ulps) {
    using T = typename Y::value_type;
    std::ostringstream os;
    auto yd = y.shape();
    if (std::vector<std::size_t>(yd.begin(), yd.end()) != want_dims) {
        os << "shape " << tfx::shape_string(yd) << " instead of " << tfx::shape_string(want_dims);
        return os.str();
    }
    std::size_t bad = 0, first = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
        const double g = double(y.data()[i]), w = want[i];
        const bool ok = (std::isnan(w) && std::isnan(g)) || g == w ||
                        std::abs(g - w) <= ulps * std::numeric_limits<T>::epsilon() * std::max(1.0, std::abs(w));
        if (!ok && bad++ == 0) first = i;
    }
    if (bad) {
        os.precision(17);
        os << bad << " of " << want.size() << " differ; first at " << first << ": got " << double(y.data()[first])
           << ", want " << want[first];
    }
    return os.str();
}

// The kept extents of dims after reducing axes (keep: as 1).
std::vector<std::size_t> kept(const std::vector<std::size_t>& dims, const std::vector<int>& axes, bool keep = false) {
    std::vector<std::size_t> r;
    for (std::size_t k = 0; k < dims.size(); ++k) {
        const bool red_k = std::find(axes.begin(), axes.end(), int(k)) != axes.end();
        if (!red_k)
            r.push_back(dims[k]);
        else if (keep)
            r.push_back(1);
    }
    return r;
}

#define CHECK_REDUCTION(expr, x, op, axes_, ulps)                                                  \
    do {                                                                                          \
        auto y_ = tfx::eval(expr);                                                                \
        const std::vector<int> ax_ = axes_;                                                       \
        const auto m_ = compare(y_, reference(values(x), dims_of(x), ax_, op), kept(dims_of(x), ax_), ulps); \
        INFO(#expr << ": " << m_);                                                                \
        CHECK(m_.empty());                                                                        \
    } while (false)

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST_CASE("sum, mean, prod, max and min of a static matrix over each axis and all axes", "[reduce]") {
    tensor<float, 2, 3> a{{1, 2, 3}, {4, 5, 6}};

    tensor s0 = tfx::sum<0>(a);
    tensor s1 = tfx::sum<1>(a);
    tensor s = tfx::sum(a);
    STATIC_REQUIRE(std::is_same_v<decltype(s0), tensor<float, 3>>);
    STATIC_REQUIRE(std::is_same_v<decltype(s1), tensor<float, 2>>);
    STATIC_REQUIRE(std::is_same_v<decltype(s), tensor<float>>);
    CHECK(s0(0) == 5.f);
    CHECK(s0(1) == 7.f);
    CHECK(s0(2) == 9.f);
    CHECK(s1(0) == 6.f);
    CHECK(s1(1) == 15.f);
    CHECK(s() == 21.f);

    tensor<float, 3> m0 = tfx::mean<0>(a);
    tensor<float, 2> m1 = tfx::mean<1>(a);
    CHECK(m0(0) == 2.5f);
    CHECK(m0(2) == 4.5f);
    CHECK(m1(0) == 2.f);
    CHECK(m1(1) == 5.f);
    CHECK(tfx::eval(tfx::mean(a))() == 3.5f);

    tensor<float, 3> p0 = tfx::prod<0>(a);
    tensor<float, 2> p1 = tfx::prod<1>(a);
    CHECK(p0(0) == 4.f);
    CHECK(p0(2) == 18.f);
    CHECK(p1(0) == 6.f);
    CHECK(p1(1) == 120.f);
    CHECK(tfx::eval(tfx::prod(a))() == 720.f);

    tensor<float, 3> x0 = tfx::max<0>(a);
    tensor<float, 2> x1 = tfx::max<1>(a);
    tensor<float, 3> n0 = tfx::min<0>(a);
    tensor<float, 2> n1 = tfx::min<1>(a);
    CHECK(x0(1) == 5.f);
    CHECK(x1(0) == 3.f);
    CHECK(x1(1) == 6.f);
    CHECK(n0(2) == 3.f);
    CHECK(n1(0) == 1.f);
    CHECK(n1(1) == 4.f);
    CHECK(tfx::eval(tfx::max(a))() == 6.f);
    CHECK(tfx::eval(tfx::min(a))() == 1.f);
}

TEST_CASE("negative axes count from the end", "[reduce]") {
    tensor<float, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    tensor r = tfx::sum<-1>(a);
    STATIC_REQUIRE(std::is_same_v<decltype(r), tensor<float, 2>>);
    CHECK(r(0) == 6.f);
    CHECK(r(1) == 15.f);
    tensor c = tfx::max<-2>(a);
    STATIC_REQUIRE(std::is_same_v<decltype(c), tensor<float, 3>>);
    CHECK(c(0) == 4.f);
    tensor all = tfx::sum<0, -1>(a);
    STATIC_REQUIRE(std::is_same_v<decltype(all), tensor<float>>);
    CHECK(all() == 21.f);
}

TEST_CASE("keepdims keeps each reduced axis with extent 1", "[reduce]") {
    tensor<float, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    tensor r = tfx::sum<1>(a, keepdims);
    STATIC_REQUIRE(std::is_same_v<decltype(r), tensor<float, 2, 1>>);
    CHECK(r(0, 0) == 6.f);
    CHECK(r(1, 0) == 15.f);
    tensor c = tfx::mean<0>(a, keepdims);
    STATIC_REQUIRE(std::is_same_v<decltype(c), tensor<float, 1, 3>>);
    CHECK(c(0, 1) == 3.5f);
    tensor m = tfx::max<-1>(a, keepdims);
    STATIC_REQUIRE(std::is_same_v<decltype(m), tensor<float, 2, 1>>);
    CHECK(m(1, 0) == 6.f);
    tensor all = tfx::sum(a, keepdims);
    STATIC_REQUIRE(std::is_same_v<decltype(all), tensor<float, 1, 1>>);
    CHECK(all(0, 0) == 21.f);

    tensor<double, dyn, dyn, dyn> x(2, 3, 5);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = double(i);
    tensor k = tfx::min<0, 2>(x, keepdims);
    STATIC_REQUIRE(std::is_same_v<decltype(k), tensor<double, 1, dyn, 1>>);
    REQUIRE(k.shape() == dims_t<3>{1, 3, 1});
    CHECK(k(0, 0, 0) == 0.0);
    CHECK(k(0, 2, 0) == 10.0);
    tensor kd = tfx::prod<1>(x, keepdims);
    STATIC_REQUIRE(std::is_same_v<decltype(kd), tensor<double, dyn, 1, dyn>>);
    REQUIRE(kd.shape() == dims_t<3>{2, 1, 5});
    CHECK(kd(1, 0, 4) == 19.0 * 24.0 * 29.0);
}

TEMPLATE_TEST_CASE("sum over every set of axes of a rank-3 tensor with odd extents matches the reference",
                   "[reduce]", float, double) {
    std::mt19937 gen(42);
    tensor<TestType, dyn, dyn, dyn> x(3, 5, 7);
    fill_exact(x, gen);
    CHECK_REDUCTION(tfx::sum<0>(x), x, red::sum, (std::vector<int>{0}), 0);
    CHECK_REDUCTION(tfx::sum<1>(x), x, red::sum, (std::vector<int>{1}), 0);
    CHECK_REDUCTION(tfx::sum<2>(x), x, red::sum, (std::vector<int>{2}), 0);
    CHECK_REDUCTION((tfx::sum<0, 1>(x)), x, red::sum, (std::vector<int>{0, 1}), 0);
    CHECK_REDUCTION((tfx::sum<0, 2>(x)), x, red::sum, (std::vector<int>{0, 2}), 0);
    CHECK_REDUCTION((tfx::sum<1, 2>(x)), x, red::sum, (std::vector<int>{1, 2}), 0);
    CHECK_REDUCTION((tfx::sum<2, 0>(x)), x, red::sum, (std::vector<int>{0, 2}), 0);
    CHECK_REDUCTION(tfx::sum(x), x, red::sum, (std::vector<int>{0, 1, 2}), 0);
    CHECK_REDUCTION(tfx::sum<-1>(x), x, red::sum, (std::vector<int>{2}), 0);
    CHECK_REDUCTION(tfx::sum<-3>(x), x, red::sum, (std::vector<int>{0}), 0);
    CHECK_REDUCTION((tfx::sum<0, -1>(x)), x, red::sum, (std::vector<int>{0, 2}), 0);
}

TEMPLATE_TEST_CASE("mean, prod, max and min over axes of rank-3 tensors match the reference", "[reduce]", float,
                   double) {
    std::mt19937 gen(43);
    tensor<TestType, dyn, dyn, dyn> x(3, 5, 7), p(3, 5, 7);
    fill_exact(x, gen);
    fill_exact(p, gen, true);
    CHECK_REDUCTION(tfx::mean<1>(x), x, red::mean, (std::vector<int>{1}), 1);
    CHECK_REDUCTION((tfx::mean<0, 2>(x)), x, red::mean, (std::vector<int>{0, 2}), 1);
    CHECK_REDUCTION(tfx::mean(x), x, red::mean, (std::vector<int>{0, 1, 2}), 1);
    CHECK_REDUCTION(tfx::prod<2>(p), p, red::prod, (std::vector<int>{2}), 0);
    CHECK_REDUCTION((tfx::prod<0, 1>(p)), p, red::prod, (std::vector<int>{0, 1}), 0);
    CHECK_REDUCTION(tfx::prod(p), p, red::prod, (std::vector<int>{0, 1, 2}), 0);
    CHECK_REDUCTION(tfx::max<0>(x), x, red::max, (std::vector<int>{0}), 0);
    CHECK_REDUCTION((tfx::max<1, 2>(x)), x, red::max, (std::vector<int>{1, 2}), 0);
    CHECK_REDUCTION(tfx::max<-1>(x), x, red::max, (std::vector<int>{2}), 0);
    CHECK_REDUCTION(tfx::min<2>(x), x, red::min, (std::vector<int>{2}), 0);
    CHECK_REDUCTION((tfx::min<0, 1>(x)), x, red::min, (std::vector<int>{0, 1}), 0);
    CHECK_REDUCTION(tfx::min(x), x, red::min, (std::vector<int>{0, 1, 2}), 0);

    // static extents give the same results
    tensor<TestType, 2, 3, 4> s;
    fill_exact(s, gen);
    CHECK_REDUCTION(tfx::sum<1>(s), s, red::sum, (std::vector<int>{1}), 0);
    CHECK_REDUCTION((tfx::max<0, 2>(s)), s, red::max, (std::vector<int>{0, 2}), 0);
    CHECK_REDUCTION(tfx::mean<-1>(s), s, red::mean, (std::vector<int>{2}), 1);
    // mixed static and dynamic extents
    tensor<TestType, dyn, 3, dyn> m(5, 9);
    fill_exact(m, gen);
    CHECK_REDUCTION((tfx::sum<0, 2>(m)), m, red::sum, (std::vector<int>{0, 2}), 0);
    CHECK_REDUCTION(tfx::min<1>(m), m, red::min, (std::vector<int>{1}), 0);
}

TEMPLATE_TEST_CASE("reductions along the vectorized axis are right for every tail length", "[reduce]", float, double) {
    using T = TestType;
    const double eps = std::numeric_limits<T>::epsilon();
    std::mt19937 gen(44);
    std::uniform_real_distribution<double> d(-1, 1);
    for (std::size_t n : {1, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 128, 129, 1000, 1023}) {
        INFO("length " << n);
        tensor<T, dyn, dyn> x(3, n);
        for (auto& v : x) v = T(d(gen));
        tensor<T, dyn> rs = tfx::sum<1>(x), rmax = tfx::max<1>(x), rmin = tfx::min<-1>(x), rmean = tfx::mean<1>(x);
        tensor<T, dyn> cs = tfx::sum<0>(x), cmax = tfx::max<0>(x);
        tensor<T> all = tfx::sum(x);
        std::size_t bad = 0;
        double total = 0, total_abs = 0;
        for (std::size_t r = 0; r < 3; ++r) {
            double s = 0, sa = 0, mx = -1e9, mn = 1e9;
            for (std::size_t j = 0; j < n; ++j) {
                s += x(r, j);
                sa += std::abs(double(x(r, j)));
                mx = std::max(mx, double(x(r, j)));
                mn = std::min(mn, double(x(r, j)));
            }
            total += s;
            total_abs += sa;
            bad += std::abs(rs(r) - s) > 16 * eps * sa;
            bad += std::abs(rmean(r) - s / double(n)) > 16 * eps * sa / double(n);
            bad += rmax(r) != T(mx);
            bad += rmin(r) != T(mn);
        }
        for (std::size_t j = 0; j < n; ++j) {
            const double s = double(x(0, j)) + x(1, j) + x(2, j);
            bad += std::abs(cs(j) - s) > 4 * eps * 3;
            bad += cmax(j) != std::max({x(0, j), x(1, j), x(2, j)});
        }
        bad += std::abs(all() - total) > 16 * eps * total_abs;
        CHECK(bad == 0);

        tensor<T, dyn> v(n);
        for (auto& e : v) e = T(d(gen));
        double s = 0, sa = 0;
        for (T e : v) {
            s += e;
            sa += std::abs(double(e));
        }
        CHECK(std::abs(tfx::eval(tfx::sum(v))() - s) <= 16 * eps * sa);
        CHECK(tfx::eval(tfx::max(v))() == *std::max_element(v.begin(), v.end()));
        CHECK(tfx::eval(tfx::min(v))() == *std::min_element(v.begin(), v.end()));
    }
}

TEST_CASE("a large sum is exact where every partial sum is representable", "[reduce]") {
    // 2e7 ones: a single float accumulator stops at 2^24 = 16777216
    tensor<float, dyn> ones(20'000'000);
    ones.fill(1.f);
    CHECK(tfx::eval(tfx::sum(ones))() == 2e7f);
    CHECK(tfx::eval(tfx::mean(ones))() == 1.f);
    tensor<float, dyn> million(1'000'000);
    million.fill(1.f);
    CHECK(tfx::eval(tfx::sum(million))() == 1e6f);
    CHECK(tfx::eval(tfx::sum(million * 0.5f))() == 5e5f);
}

TEST_CASE("a large sum of inexact values stays accurate", "[reduce]") {
    // Pairwise or blocked summation (NumPy, TensorFlow) errs by O(log n) roundings: ~1e-7 here.
    tensor<float, dyn> tenth(1'000'000);
    tenth.fill(0.1f);
    const double want = 1e6 * double(0.1f);
    const float got = tfx::eval(tfx::sum(tenth))();
    INFO("got " << got << ", want " << want);
    CHECK(std::abs(got - want) <= 1e-5 * want);
}

TEST_CASE("reductions of empty axes give the identity, mean gives NaN, rank 0 gives itself", "[reduce]") {
    tensor<float, dyn, 3> e(0);
    tensor<float, 3> s = tfx::sum<0>(e), p = tfx::prod<0>(e), m = tfx::mean<0>(e);
    for (std::size_t j = 0; j < 3; ++j) {
        CHECK(s(j) == 0.f);
        CHECK(p(j) == 1.f);
        CHECK(std::isnan(m(j)));
    }
    tensor<float> s3 = 3.f;  // a rank-0 tensor reduces to itself
    CHECK(tfx::eval(tfx::sum(s3))() == 3.f);
    CHECK(tfx::eval(tfx::max(s3))() == 3.f);
    tensor<float, dyn> none = tfx::sum<1>(e);
    CHECK(none.shape() == dims_t<1>{0});
    CHECK(tfx::eval(tfx::sum(e))() == 0.f);
}

// ---------------------------------------------------------------------------------------------
// fused producers and consumers

TEMPLATE_TEST_CASE("reductions of elementwise expressions reduce the expression's values", "[reduce]", float, double) {
    using T = TestType;
    std::mt19937 gen(45);
    tensor<T, dyn, dyn> a(5, 37), b(5, 37);
    tensor<T, 37> row;
    fill_exact(a, gen);
    fill_exact(b, gen);
    fill_exact(row, gen);

    // sum(a * b): a dot product
    double dot = 0;
    for (std::size_t i = 0; i < a.size(); ++i) dot += double(a.data()[i]) * b.data()[i];
    CHECK(tfx::eval(tfx::sum(a * b))() == T(dot));

    // max<1>(exp(x / 8))
    tensor<T, dyn> me = tfx::max<1>(tfx::exp(a / T(8)));
    for (std::size_t r = 0; r < 5; ++r) {
        double m = -1e300;
        for (std::size_t j = 0; j < 37; ++j) m = std::max(m, std::exp(double(a(r, j)) / 8));
        CHECK(me(r) == Approx(m).epsilon(4 * std::numeric_limits<T>::epsilon()));
    }

    // mean<0>(square(a - b)) and sum<0>(a + row) (a broadcasting producer)
    tensor<T, dyn> msq = tfx::mean<0>(tfx::square(a - b));
    tensor<T, dyn> srow = tfx::sum<0>(a + row);
    REQUIRE(msq.shape() == dims_t<1>{37});
    std::size_t bad = 0;
    for (std::size_t j = 0; j < 37; ++j) {
        double sq = 0, sr = 0;
        for (std::size_t r = 0; r < 5; ++r) {
            sq += (double(a(r, j)) - b(r, j)) * (double(a(r, j)) - b(r, j));
            sr += double(a(r, j)) + row(j);
        }
        bad += msq(j) != Approx(sq / 5).epsilon(4 * std::numeric_limits<T>::epsilon());
        bad += srow(j) != T(sr);
    }
    CHECK(bad == 0);

    // every axis of a broadcasting producer
    double all_rows = 0;
    for (std::size_t r = 0; r < 5; ++r)
        for (std::size_t j = 0; j < 37; ++j) all_rows += double(a(r, j)) + row(j);
    CHECK(tfx::eval(tfx::sum(a + row))() == T(all_rows));

    // a reduction of a reduction, and reductions combined elementwise
    CHECK(tfx::eval(tfx::sum(tfx::sum<1>(a)))() == tfx::eval(tfx::sum(a))());
    tensor<T, dyn> range = tfx::max<1>(a) - tfx::min<1>(a);
    for (std::size_t r = 0; r < 5; ++r) {
        auto rb = a.begin() + r * 37, re = rb + 37;
        CHECK(range(r) == *std::max_element(rb, re) - *std::min_element(rb, re));
    }
}

TEMPLATE_TEST_CASE("subtracting the row mean with keepdims centres every row", "[reduce]", float, double) {
    using T = TestType;
    std::mt19937 gen(46);
    tensor<T, dyn, dyn> x(4, 50);
    fill_exact(x, gen);
    tensor<T, dyn, dyn> c = x - tfx::mean<1>(x, keepdims);
    REQUIRE(c.shape() == dims_t<2>{4, 50});
    tensor<T, dyn> rowsum = tfx::sum<1>(c);
    for (std::size_t r = 0; r < 4; ++r) CHECK(std::abs(rowsum(r)) <= 1e3 * std::numeric_limits<T>::epsilon());
    CHECK(c(2, 7) == Approx(double(x(2, 7)) - tfx::eval(tfx::mean<1>(x))(2)));
}

TEST_CASE("integer tensors sum, multiply, and take max and min exactly", "[reduce]") {
    tensor<std::int32_t, 3, 4> i{{1, -2, 3, 4}, {5, 6, -7, 8}, {9, 10, 11, -12}};
    tensor<std::int32_t, 4> s0 = tfx::sum<0>(i);
    tensor<std::int32_t, 3> x1 = tfx::max<1>(i), n1 = tfx::min<1>(i), p1 = tfx::prod<1>(i);
    CHECK(s0(0) == 15);
    CHECK(s0(3) == 0);
    CHECK(x1(0) == 4);
    CHECK(x1(2) == 11);
    CHECK(n1(1) == -7);
    CHECK(n1(2) == -12);
    CHECK(p1(0) == -24);
    CHECK(p1(2) == -11880);
    CHECK(tfx::eval(tfx::sum(i))() == 36);

    tensor<std::int64_t, dyn> big{std::int64_t(1) << 40, std::int64_t(1) << 40, 1};
    CHECK(tfx::eval(tfx::sum(big))() == (std::int64_t(1) << 41) + 1);
    CHECK(tfx::eval(tfx::max(big))() == std::int64_t(1) << 40);
}

TEMPLATE_TEST_CASE("max and min propagate NaN as NumPy does", "[reduce]", float, double) {
    using T = TestType;
    const T nan = std::numeric_limits<T>::quiet_NaN();
    // the NaN at each position of a row that has a SIMD body and a tail
    const std::size_t n = 4 * tfx::simd<T>::size + 5;
    std::size_t lost_max = 0, lost_min = 0;
    for (std::size_t pos = 0; pos < n; ++pos) {
        tensor<T, dyn> v(n);
        for (std::size_t i = 0; i < n; ++i) v(i) = T(i);
        v(pos) = nan;
        lost_max += !std::isnan(tfx::eval(tfx::max(v))());
        lost_min += !std::isnan(tfx::eval(tfx::min(v))());
    }
    CHECK(lost_max == 0);
    CHECK(lost_min == 0);
}

// ---------------------------------------------------------------------------------------------
// argmax / argmin

TEST_CASE("argmax and argmin give int64 indices of the first extreme value", "[reduce]") {
    tensor<float, 3, 4> x{{1, 7, 7, 2}, {5, 5, 5, 5}, {-1, -3, 0, 9}};
    tensor amax = tfx::argmax<1>(x);
    STATIC_REQUIRE(std::is_same_v<decltype(amax), tensor<std::int64_t, 3>>);
    CHECK(amax(0) == 1);  // the first of two 7s
    CHECK(amax(1) == 0);  // all equal
    CHECK(amax(2) == 3);  // the last position

    tensor amin = tfx::argmin<0>(x);
    STATIC_REQUIRE(std::is_same_v<decltype(amin), tensor<std::int64_t, 4>>);
    CHECK(amin(0) == 2);
    CHECK(amin(1) == 2);
    CHECK(amin(2) == 2);
    CHECK(amin(3) == 0);

    tensor<std::int64_t, 3> amin1 = tfx::argmin<1>(x);
    CHECK(amin1(0) == 0);
    CHECK(amin1(1) == 0);
    CHECK(amin1(2) == 1);
    tensor<std::int64_t, 4> amax0 = tfx::argmax<0>(x);
    CHECK(amax0(0) == 1);
    CHECK(amax0(1) == 0);
    CHECK(amax0(3) == 2);

    tensor<std::int64_t, 3> neg = tfx::argmax<-1>(x);
    CHECK(neg(0) == 1);
}

TEMPLATE_TEST_CASE("argmax along an axis of a dynamic rank-3 tensor and of an expression", "[reduce]", float, double) {
    using T = TestType;
    std::mt19937 gen(47);
    tensor<T, dyn, dyn, dyn> x(3, 17, 5);
    fill_exact(x, gen);  // many ties
    tensor<std::int64_t, dyn, dyn> am = tfx::argmax<1>(x);
    tensor<std::int64_t, dyn, dyn> an = tfx::argmin<1>(-x);  // the same positions
    REQUIRE(am.shape() == dims_t<2>{3, 5});
    std::size_t bad = 0;
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t k = 0; k < 5; ++k) {
            std::size_t best = 0;
            for (std::size_t j = 1; j < 17; ++j)
                if (x(i, j, k) > x(i, best, k)) best = j;
            bad += am(i, k) != std::int64_t(best);
            bad += an(i, k) != std::int64_t(best);
        }
    CHECK(bad == 0);

    tensor<T, dyn, dyn> wide(2, 1000);
    fill_exact(wide, gen);
    wide(0, 999) = 100;
    wide(1, 0) = -100;
    tensor<std::int64_t, dyn> w = tfx::argmax<1>(wide), wn = tfx::argmin<1>(wide);
    CHECK(w(0) == 999);
    CHECK(wn(1) == 0);

    tensor<std::int32_t, 2, 3> ints{{3, 9, 9}, {-1, -1, -5}};
    tensor<std::int64_t, 2> ia = tfx::argmax<1>(ints), ib = tfx::argmin<1>(ints);
    CHECK(ia(0) == 1);
    CHECK(ia(1) == 0);
    CHECK(ib(1) == 2);
}

TEST_CASE("argmax handles infinities and throws value_error on an empty axis", "[reduce]") {
    const float inf = std::numeric_limits<float>::infinity();
    tensor<float, 2, 3> x{{-inf, -inf, -inf}, {1, inf, inf}};
    tensor<std::int64_t, 2> am = tfx::argmax<1>(x);
    CHECK(am(0) == 0);
    CHECK(am(1) == 1);
    tensor<float, dyn, dyn> empty(2, 0);
    CHECK_THROWS_AS(tfx::eval(tfx::argmax<1>(empty)), tfx::value_error);
}

// ---------------------------------------------------------------------------------------------
// errors and aliasing

TEST_CASE("a shape error inside a reduction throws before the destination is written", "[reduce]") {
    tensor<float, dyn, 3> a(4), b(5);
    tensor<float, 3> dst{7, 8, 9};
    CHECK_THROWS_WITH(dst = tfx::sum<0>(a + b), Contains("add") && Contains("[4, 3]") && Contains("[5, 3]"));
    CHECK(dst(0) == 7.f);
    CHECK(dst(2) == 9.f);
}

TEMPLATE_TEST_CASE("a = sum<0>(a, keepdims) + a reads a before writing it", "[reduce]", float, double) {
    tensor<TestType, dyn, 3> a{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}};
    a = tfx::sum<0>(a, keepdims) + a;  // column sums 22, 26, 30
    REQUIRE(a.shape() == dims_t<2>{4, 3});
    CHECK(a(0, 0) == 23);
    CHECK(a(0, 2) == 33);
    CHECK(a(3, 0) == 32);
    CHECK(a(3, 2) == 42);

    tensor<TestType, 2, 40> s;
    for (std::size_t i = 0; i < s.size(); ++i) s.data()[i] = TestType(i % 40);
    s = s - tfx::max<1>(s, keepdims);
    CHECK(s(0, 39) == 0);
    CHECK(s(1, 0) == -39);

    // the result has another shape: a is resized after the reduction is computed
    tensor<TestType, dyn, dyn> r{{1, 2}, {3, 4}, {5, 6}};
    r = tfx::sum<0>(r, keepdims);
    REQUIRE(r.shape() == dims_t<2>{1, 2});
    CHECK(r(0, 0) == 9);
    CHECK(r(0, 1) == 12);
}
