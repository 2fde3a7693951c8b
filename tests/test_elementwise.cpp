// Elementwise arithmetic, comparisons, where and cast against references computed in double, on
// lengths that exercise the SIMD body and its tail; numbers mixed with tensors; integer and bool
// tensors. The floating-point functions (exp, tanh, ...) are in test_elementwise_math.cpp; broadcasting,
// shape errors and aliasing in test_broadcast.cpp.
#include "elementwise_checks.hpp"

#include <cstdint>
#include <type_traits>

using namespace tfx_test;
using Catch::Matchers::Contains;

// ---------------------------------------------------------------------------------------------
// arithmetic

TEMPLATE_TEST_CASE("a + b adds elementwise, with numbers and broadcast rows", "[elementwise]", float, double) {
    check_binary<TestType>([](const auto& a, const auto& b) { return a + b; }, [](double a, double b) { return a + b; },
                           {-100, 100}, {-100, 100}, exact);
}
TEMPLATE_TEST_CASE("a - b subtracts elementwise, with numbers and broadcast rows", "[elementwise]", float, double) {
    check_binary<TestType>([](const auto& a, const auto& b) { return a - b; }, [](double a, double b) { return a - b; },
                           {-100, 100}, {-100, 100}, exact);
}
TEMPLATE_TEST_CASE("a * b multiplies elementwise, with numbers and broadcast rows", "[elementwise]", float, double) {
    check_binary<TestType>([](const auto& a, const auto& b) { return a * b; }, [](double a, double b) { return a * b; },
                           {-100, 100}, {-100, 100}, exact);
}
TEMPLATE_TEST_CASE("a / b divides elementwise, with numbers and broadcast rows", "[elementwise]", float, double) {
    check_binary<TestType>([](const auto& a, const auto& b) { return a / b; }, [](double a, double b) { return a / b; },
                           {-100, 100}, {0.25, 8}, exact);
}
TEMPLATE_TEST_CASE("unary minus negates every element", "[elementwise]", float, double) {
    check_unary<TestType>([](const auto& x) { return -x; }, [](double x) { return -x; }, {-100, 100}, exact);
}

TEMPLATE_TEST_CASE("a chain of arithmetic evaluates as written", "[elementwise]", float, double) {
    // fused or not, (a * b + c) / d - a is within a few roundings of the exact value
    std::mt19937 gen(7);
    for (std::size_t n : lengths) {
        INFO("length " << n);
        tensor<TestType, dyn> a(n), b(n), c(n), d(n);
        fill_uniform<TestType>(a, -2, 2, gen);
        fill_uniform<TestType>(b, -2, 2, gen);
        fill_uniform<TestType>(c, -2, 2, gen);
        fill_uniform<TestType>(d, 1, 2, gen);
        tensor<TestType, dyn> z = (a * b + c) / d - a;
        std::vector<double> w(n);
        for (std::size_t i = 0; i < n; ++i) w[i] = (double(a(i)) * b(i) + c(i)) / d(i) - a(i);
        const auto m = mismatches(z.data(), w, 16, 4, [&](std::size_t i) { return num(a(i)); });
        INFO(m);
        CHECK(m.empty());
    }
}

TEMPLATE_TEST_CASE("plain numbers take the tensor's element type, on either side", "[elementwise]", float, double) {
    tensor<TestType, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    STATIC_REQUIRE(std::is_same_v<typename decltype(2 * a)::value_type, TestType>);
    STATIC_REQUIRE(std::is_same_v<typename decltype(a / 3)::value_type, TestType>);
    STATIC_REQUIRE(std::is_same_v<typename decltype(a + 0.5)::value_type, TestType>);
    STATIC_REQUIRE(std::is_same_v<typename decltype(1.f - a)::value_type, TestType>);

    tensor<TestType, 2, 3> twice = 2 * a;
    tensor<TestType, 2, 3> third = a / 3;
    tensor<TestType, 2, 3> plus = a + 0.5;
    tensor<TestType, 2, 3> from_one = 1 - a;
    tensor<TestType, 2, 3> inv = 1 / a;
    tensor<TestType, 2, 3> mixed = 2.5f * a - 1;
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            const TestType v = a(i, j);
            CHECK(twice(i, j) == 2 * v);
            CHECK(third(i, j) == v / TestType(3));
            CHECK(plus(i, j) == v + TestType(0.5));
            CHECK(from_one(i, j) == 1 - v);
            CHECK(inv(i, j) == TestType(1) / v);
            CHECK(mixed(i, j) == TestType(2.5) * v - 1);
        }
}

// ---------------------------------------------------------------------------------------------
// comparisons

namespace {
// a, b with many equal pairs: small integers as floating point
template <class T, class F, class R>
void check_predicate(F f, R ref) {
    std::mt19937 gen(31337);
    std::uniform_int_distribution<int> dist(-2, 2);
    for (std::size_t n : lengths) {
        INFO("length " << n);
        tensor<T, dyn> a(n), b(n);
        for (auto& v : a) v = T(dist(gen));
        for (auto& v : b) v = T(dist(gen));
        tensor<bool, dyn> z = f(a, b);
        tensor<bool, dyn> zs = f(a, T(0));
        tensor<bool, dyn> sz = f(T(0), a);
        tensor<T, dyn, dyn> A(3, n);
        for (auto& v : A) v = T(dist(gen));
        tensor<bool, dyn, dyn> zb = f(A, b);
        REQUIRE(z.shape() == a.shape());
        REQUIRE(zb.shape() == dims_t<2>{3, n});
        std::size_t wrong = 0, wrong_s = 0, wrong_b = 0;
        for (std::size_t i = 0; i < n; ++i) {
            wrong += z(i) != ref(a(i), b(i));
            wrong_s += zs(i) != ref(a(i), T(0));
            wrong_s += sz(i) != ref(T(0), a(i));
            for (std::size_t r = 0; r < 3; ++r) wrong_b += zb(r, i) != ref(A(r, i), b(i));
        }
        CHECK(wrong == 0);
        CHECK(wrong_s == 0);
        CHECK(wrong_b == 0);
    }
}
}  // namespace

TEMPLATE_TEST_CASE("a < b gives bool elements", "[elementwise]", float, double) {
    check_predicate<TestType>([](const auto& a, const auto& b) { return a < b; }, [](auto a, auto b) { return a < b; });
}
TEMPLATE_TEST_CASE("a <= b gives bool elements", "[elementwise]", float, double) {
    check_predicate<TestType>([](const auto& a, const auto& b) { return a <= b; }, [](auto a, auto b) { return a <= b; });
}
TEMPLATE_TEST_CASE("a > b gives bool elements", "[elementwise]", float, double) {
    check_predicate<TestType>([](const auto& a, const auto& b) { return a > b; }, [](auto a, auto b) { return a > b; });
}
TEMPLATE_TEST_CASE("a >= b gives bool elements", "[elementwise]", float, double) {
    check_predicate<TestType>([](const auto& a, const auto& b) { return a >= b; }, [](auto a, auto b) { return a >= b; });
}
TEMPLATE_TEST_CASE("a == b gives bool elements", "[elementwise]", float, double) {
    check_predicate<TestType>([](const auto& a, const auto& b) { return a == b; }, [](auto a, auto b) { return a == b; });
}
TEMPLATE_TEST_CASE("a != b gives bool elements", "[elementwise]", float, double) {
    check_predicate<TestType>([](const auto& a, const auto& b) { return a != b; }, [](auto a, auto b) { return a != b; });
}

TEST_CASE("comparisons of NaN are false except !=", "[elementwise]") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    tensor<float, dyn> a(40), b(40);
    a.fill(nan);
    b.fill(1.f);
    tensor<bool, dyn> lt = a < b, le = a <= b, gt = a > b, ge = a >= b, eq = a == a, ne = a != a;
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < 40; ++i) wrong += lt(i) || le(i) || gt(i) || ge(i) || eq(i) || !ne(i);
    CHECK(wrong == 0);
}

TEST_CASE("comparisons combine inside where on the SIMD path", "[elementwise]") {
    // (a > 0) == (b > 0): same sign
    std::mt19937 gen(5);
    tensor<float, dyn> a(100), b(100);
    fill_uniform<float>(a, -1, 1, gen);
    fill_uniform<float>(b, -1, 1, gen);
    tensor<float, dyn> z = tfx::where((a > 0.f) == (b > 0.f), a, b);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < 100; ++i) wrong += z(i) != (((a(i) > 0) == (b(i) > 0)) ? a(i) : b(i));
    CHECK(wrong == 0);
}

// ---------------------------------------------------------------------------------------------
// where and cast

TEMPLATE_TEST_CASE("where picks a where the condition holds and b elsewhere", "[elementwise]", float, double) {
    std::mt19937 gen(11);
    for (std::size_t n : lengths) {
        INFO("length " << n);
        tensor<TestType, dyn> a(n), b(n);
        fill_uniform<TestType>(a, -1, 1, gen);
        fill_uniform<TestType>(b, -1, 1, gen);
        tensor<bool, dyn> mask(n);
        for (std::size_t i = 0; i < n; ++i) mask(i) = (i * 7 + 3) % 5 < 2;

        tensor<TestType, dyn> by_cmp = tfx::where(a > b, a, b);         // SIMD select
        tensor<TestType, dyn> by_mask = tfx::where(mask, a, b);         // a bool tensor
        tensor<TestType, dyn> with_num = tfx::where(a > 0, a, 0);        // a number branch
        tensor<TestType, dyn> num_first = tfx::where(a > 0, -1.5, b);    // a number first
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < n; ++i) {
            wrong += by_cmp(i) != std::max(a(i), b(i));
            wrong += by_mask(i) != (mask(i) ? a(i) : b(i));
            wrong += with_num(i) != (a(i) > 0 ? a(i) : TestType(0));
            wrong += num_first(i) != (a(i) > 0 ? TestType(-1.5) : b(i));
        }
        CHECK(wrong == 0);
    }
}

TEST_CASE("where broadcasts its condition and both branches", "[elementwise]") {
    tensor<bool, 3> c{true, false, true};
    tensor<float, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    tensor<float, 2, 1> b{{-1}, {-2}};
    tensor r = tfx::where(c, a, b);
    STATIC_REQUIRE(std::is_same_v<decltype(r), tensor<float, 2, 3>>);
    CHECK(r(0, 0) == 1.f);
    CHECK(r(0, 1) == -1.f);
    CHECK(r(0, 2) == 3.f);
    CHECK(r(1, 0) == 4.f);
    CHECK(r(1, 1) == -2.f);
    CHECK(r(1, 2) == 6.f);

    tensor<bool, dyn, 1> rows{{true}, {false}};
    tensor<float, dyn, dyn> r2 = tfx::where(rows, a, 0.f);
    REQUIRE(r2.shape() == dims_t<2>{2, 3});
    CHECK(r2(0, 2) == 3.f);
    CHECK(r2(1, 0) == 0.f);
    CHECK(r2(1, 2) == 0.f);
}

TEST_CASE("cast converts element types as static_cast does", "[elementwise]") {
    tensor<float, dyn> x{-2.7f, -0.5f, 0.f, 0.4f, 1.5f, 2.9f, 100.25f};
    tensor<std::int32_t, dyn> i = tfx::cast<std::int32_t>(x);
    tensor<std::int32_t, dyn> want_i{-2, 0, 0, 0, 1, 2, 100};
    REQUIRE(i.shape() == want_i.shape());
    for (std::size_t k = 0; k < i.size(); ++k) CHECK(i(k) == want_i(k));

    tensor<std::int64_t, dyn> l = tfx::cast<std::int64_t>(x * 2.f);
    CHECK(l(6) == 200);

    tensor<double, dyn> d = tfx::cast<double>(x);
    for (std::size_t k = 0; k < x.size(); ++k) CHECK(d(k) == double(x(k)));

    tensor<bool, dyn> b = tfx::cast<bool>(x);
    CHECK(b(0));
    CHECK_FALSE(b(2));
    CHECK(b(3));

    tensor<float, dyn> f = tfx::cast<float>(x > 0.f);
    CHECK(f(0) == 0.f);
    CHECK(f(3) == 1.f);

    tensor<float, dyn> back = tfx::cast<float>(i) + 0.5f;
    CHECK(back(0) == -1.5f);

    tensor<float, dyn> same = tfx::cast<float>(x);
    for (std::size_t k = 0; k < x.size(); ++k) CHECK(same(k) == x(k));

    tensor<float, dyn> narrowed = tfx::cast<float>(tensor<double, dyn>{0.1, 1e300});
    CHECK(narrowed(0) == 0.1f);
    CHECK(std::isinf(narrowed(1)));
}

TEMPLATE_TEST_CASE("cast to the same type or to another floating type keeps values on every length", "[elementwise]",
                   float, double) {
    using Other = std::conditional_t<std::is_same_v<TestType, float>, double, float>;
    check_unary<TestType>([](const auto& x) { return tfx::cast<TestType>(x * TestType(3)); },
                          [](double x) { return x * 3; }, {-10, 10}, exact);
    std::mt19937 gen(3);
    for (std::size_t n : lengths) {
        tensor<TestType, dyn> x(n);
        fill_uniform<TestType>(x, -10, 10, gen);
        tensor<Other, dyn> y = tfx::cast<Other>(x);
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < n; ++i) wrong += y(i) != Other(x(i));
        CHECK(wrong == 0);
    }
}

// ---------------------------------------------------------------------------------------------
// integer and bool element types

TEST_CASE("integer tensors do exact arithmetic, abs, square, maximum, minimum, relu, clip and comparisons",
          "[elementwise]") {
    tensor<std::int32_t, dyn> a(37), b(37);
    for (std::size_t i = 0; i < 37; ++i) {
        a(i) = std::int32_t(i) - 18;
        b(i) = std::int32_t((i * 5) % 11) - 5;
    }
    tensor<std::int32_t, dyn> s = a + b, d = a - b, p = a * b, n = -a, ab = tfx::abs(a), sq = tfx::square(a),
                              mx = tfx::maximum(a, b), mn = tfx::minimum(a, b), r = tfx::relu(a),
                              c = tfx::clip(a, -3, 4), w = tfx::where(a < b, a, 100);
    tensor<bool, dyn> lt = a < b, eq = a == b;
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < 37; ++i) {
        const std::int32_t x = a(i), y = b(i);
        wrong += s(i) != x + y;
        wrong += d(i) != x - y;
        wrong += p(i) != x * y;
        wrong += n(i) != -x;
        wrong += ab(i) != std::abs(x);
        wrong += sq(i) != x * x;
        wrong += mx(i) != std::max(x, y);
        wrong += mn(i) != std::min(x, y);
        wrong += r(i) != std::max(x, 0);
        wrong += c(i) != std::clamp(x, -3, 4);
        wrong += w(i) != (x < y ? x : 100);
        wrong += lt(i) != (x < y);
        wrong += eq(i) != (x == y);
    }
    CHECK(wrong == 0);

    tensor<std::int64_t, 2, 2> big{{std::int64_t(3) << 40, -1}, {7, 0}};
    tensor<std::int64_t, 2, 2> big2 = big * 4 - 1;
    CHECK(big2(0, 0) == (std::int64_t(3) << 42) - 1);
    CHECK(big2(0, 1) == -5);
    CHECK(big2(1, 1) == -1);
}

TEST_CASE("bool tensors compare and select", "[elementwise]") {
    tensor<bool, 4> p{true, true, false, false}, q{true, false, true, false};
    tensor<bool, 4> same = p == q, differ = p != q;
    CHECK(same(0));
    CHECK_FALSE(same(1));
    CHECK_FALSE(same(2));
    CHECK(same(3));
    for (std::size_t i = 0; i < 4; ++i) CHECK(differ(i) == !same(i));
    tensor<std::int32_t, 4> picked = tfx::where(p, tfx::cast<std::int32_t>(q) + 10, -1);
    CHECK(picked(0) == 11);
    CHECK(picked(1) == 10);
    CHECK(picked(2) == -1);
}

