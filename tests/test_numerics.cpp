// Numerics (include/tfx/core/numerics.hpp, docs/numerics.md): check_numerics on tensors and
// expressions (counts, first index, shape and message of numerics_error); flush_denormals (FTZ
// and DAZ inside the scope, the environment restored after it). The stability of log_softmax and of
// the cross-entropy losses from logits of ±1e4 is in test_numerics_stability.cpp.
//
// Compile-fail cases: building this file with -DTFX_NUMERICS_COMPILE_FAIL=<n> must stop at the
// static_assert quoted in the case.
#include <tfx/tfx.hpp>

#ifdef TFX_NUMERICS_COMPILE_FAIL

void compile_fail_case() {
    tfx::tensor<std::int32_t, tfx::dyn> labels(4);
#if TFX_NUMERICS_COMPILE_FAIL == 1
    // expect: tfx: check_numerics needs floating-point elements
    (void)tfx::check_numerics(labels, "labels");
#elif TFX_NUMERICS_COMPILE_FAIL == 2
    // expect: tfx: check_numerics needs floating-point elements
    (void)tfx::check_numerics(labels + 1, "labels + 1");
#endif
}

#else

#include <catch2/catch.hpp>

#include <cfenv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace {

using tfx::dims_t;
using tfx::dyn;
using tfx::tensor;

template <class T>
constexpr T nan_v = std::numeric_limits<T>::quiet_NaN();
template <class T>
constexpr T inf_v = std::numeric_limits<T>::infinity();

// The numerics_error a call throws (fails the test when it throws nothing).
template <class F>
tfx::numerics_error error_of(F&& f) {
    try {
        f();
    } catch (const tfx::numerics_error& e) {
        return e;
    }
    FAIL("no numerics_error thrown");
    return tfx::numerics_error("", 0, 0, 0);
}

}  // namespace

// ------------------------------------------------------------------------------- check_numerics

TEMPLATE_TEST_CASE("check_numerics returns a finite tensor as it is", "[numerics]", float, double) {
    using T = TestType;
    using lim = std::numeric_limits<T>;
    tensor<T, dyn, dyn> x(4, 8);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = T(i) - T(16);
    // the extremes of the finite range: the largest, the smallest normal and denormal, -0
    x(0, 0) = lim::max();
    x(0, 1) = lim::lowest();
    x(1, 2) = lim::min();
    x(2, 3) = lim::denorm_min();
    x(3, 7) = -T(0);
    const tensor<T, dyn, dyn> before = x;
    const auto& r = tfx::check_numerics(x, "x");
    STATIC_REQUIRE(std::is_same_v<decltype(tfx::check_numerics(x, "x")), const tensor<T, dyn, dyn>&>);
    CHECK(&r == &x);
    CHECK(std::equal(x.begin(), x.end(), before.begin()));
    CHECK(std::signbit(x(3, 7)));

    // static shapes, rank 0, a std::string message, and the lengths around the SIMD width and the
    // scan's block (4096)
    const tensor<T, 2, 3> s{{1, 2, 3}, {4, 5, 6}};
    CHECK(&tfx::check_numerics(s, std::string("s")) == &s);
    const tensor<T> scalar = T(3);
    CHECK(tfx::check_numerics(scalar, "")() == 3);
    for (std::size_t n : {1, 7, 16, 17, 63, 64, 65, 4095, 4096, 4097, 10000}) {
        INFO("length " << n);
        tensor<T, dyn> v(n);
        v.fill(lim::max());
        CHECK_NOTHROW(tfx::check_numerics(v, "v"));
    }
}

TEMPLATE_TEST_CASE("check_numerics of an empty tensor passes", "[numerics]", float, double) {
    using T = TestType;
    const tensor<T, dyn> e(0);
    CHECK(&tfx::check_numerics(e, "empty") == &e);
    const tensor<T, dyn, 3> rows(0);
    CHECK(tfx::check_numerics(rows, "no rows").size() == 0);
    const tensor<T, 3, dyn> cols(0);
    CHECK(tfx::check_numerics(cols * T(2), "no columns").shape() == dims_t<2>{3, 0});
}

TEMPLATE_TEST_CASE("check_numerics finds NaN, +Inf and -Inf anywhere, with counts and the first index", "[numerics]",
                   float, double) {
    using T = TestType;
    struct kind {
        T value;
        const char* what;
        const char* first;
        bool is_nan;
    };
    const kind kinds[] = {{nan_v<T>, "NaN", "is NaN", true},
                          {-nan_v<T>, "NaN", "is NaN", true},
                          {std::numeric_limits<T>::signaling_NaN(), "NaN", "is NaN", true},
                          {inf_v<T>, "Inf", "is +Inf", false},
                          {-inf_v<T>, "Inf", "is -Inf", false}};
    for (const kind& k : kinds)
        for (std::size_t n : {1, 7, 16, 17, 64, 65, 4096, 4097, 10000}) {
            // one bad value at the start, in the middle, at the end; then all three
            for (std::size_t at : {std::size_t(0), n / 2, n - 1}) {
                INFO(k.what << " at " << at << " of " << n);
                tensor<T, dyn> v(n);
                v.fill(T(1));
                v(at) = k.value;
                const auto e = error_of([&] { tfx::check_numerics(v, "v"); });
                CHECK(e.nan_count() == (k.is_nan ? 1u : 0u));
                CHECK(e.inf_count() == (k.is_nan ? 0u : 1u));
                CHECK(e.first_index() == at);
                const std::string m = e.what();
                CHECK_THAT(m, Catch::StartsWith(std::string("tfx: check_numerics: v: 1 ") + k.what + " value in a tensor of shape [" +
                                                std::to_string(n) + "]; the first at flat index " + std::to_string(at) + " " + k.first));
            }
            INFO(k.what << " at three places of " << n);
            tensor<T, dyn> v(n);
            v.fill(T(-2));
            v(n - 1) = k.value;
            v(n / 3) = k.value;
            v(n / 2) = k.value;
            const std::size_t bad = n >= 3 ? 3 : n == 2 ? 2 : 1;
            const auto e = error_of([&] { tfx::check_numerics(v, "v"); });
            CHECK(e.nan_count() + e.inf_count() == bad);
            CHECK((k.is_nan ? e.nan_count() : e.inf_count()) == bad);
            CHECK(e.first_index() == n / 3);
        }
}

TEST_CASE("check_numerics names the message, the counts, the shape and the first position", "[numerics]") {
    tensor<float, dyn, dyn> x(4, 8);
    x.fill(0.5f);
    x(0, 5) = nan_v<float>;
    x(1, 1) = nan_v<float>;
    x(2, 4) = -inf_v<float>;
    x(3, 7) = nan_v<float>;
    CHECK_THROWS_MATCHES(tfx::check_numerics(x, "loss"), tfx::numerics_error,
                         Catch::Matchers::Message("tfx: check_numerics: loss: 3 NaN and 1 Inf values in a tensor of "
                                                  "shape [4, 8]; the first at flat index 5 (index [0, 5]) is NaN"));
    // a numerics_error is a value_error (and a tfx::error)
    CHECK_THROWS_AS(tfx::check_numerics(x, "loss"), tfx::value_error);
    CHECK_THROWS_AS(tfx::check_numerics(x, "loss"), tfx::error);

    SECTION("an empty message is left out") {
        tensor<double, 2, 3> y{{1, 2, 3}, {4, 5, inf_v<double>}};
        CHECK_THROWS_MATCHES(tfx::check_numerics(y, ""), tfx::numerics_error,
                             Catch::Matchers::Message("tfx: check_numerics: 1 Inf value in a tensor of shape [2, 3]; the "
                                                      "first at flat index 5 (index [1, 2]) is +Inf"));
    }
    SECTION("only NaN, only Inf, rank 3, the first in a later block") {
        tensor<double, dyn, dyn, dyn> z(3, 40, 100);  // 12000 elements: three scan blocks
        z(2, 39, 99) = nan_v<double>;
        z(2, 0, 1) = nan_v<double>;
        CHECK_THROWS_WITH(tfx::check_numerics(z, "activations"),
                          Catch::Contains("activations: 2 NaN values in a tensor of shape [3, 40, 100]") &&
                              Catch::Contains("the first at flat index 8001 (index [2, 0, 1]) is NaN"));
        z(2, 39, 99) = -inf_v<double>;
        z(2, 0, 1) = -inf_v<double>;
        z(0, 0, 0) = inf_v<double>;
        CHECK_THROWS_WITH(tfx::check_numerics(z, "activations"),
                          Catch::Contains("3 Inf values in a tensor of shape [3, 40, 100]") &&
                              Catch::Contains("the first at flat index 0 (index [0, 0, 0]) is +Inf") &&
                              !Catch::Contains("NaN"));
    }
}

TEMPLATE_TEST_CASE("check_numerics evaluates an expression and checks its values", "[numerics]", float, double) {
    using T = TestType;
    tensor<T, dyn, 3> x{{1, 2, 3}, {4, 5, 6}};
    auto r = tfx::check_numerics(x * T(2) + T(1), "affine");
    STATIC_REQUIRE(std::is_same_v<decltype(r), tensor<T, dyn, 3>>);
    REQUIRE(r.shape() == dims_t<2>{2, 3});
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(r.data()[i] == x.data()[i] * T(2) + T(1));

    // kernel nodes too: a reduction (rank 0) and a matmul
    tensor<T> s = tfx::check_numerics(tfx::sum(x), "sum");
    CHECK(s() == 21);
    tensor<T, dyn, dyn> p = tfx::check_numerics(tfx::matmul(x, tfx::transpose(x)), "gram");
    CHECK(p(1, 1) == 77);

    // log of 0 and of a negative number; an overflowing reduction
    x(0, 1) = 0;
    x(1, 0) = -1;
    x(1, 2) = -2;
    const auto e = error_of([&] { (void)tfx::check_numerics(tfx::log(x), "log"); });
    CHECK(e.nan_count() == 2);
    CHECK(e.inf_count() == 1);
    CHECK(e.first_index() == 1);
    CHECK_THAT(std::string(e.what()), Catch::Contains("log: 2 NaN and 1 Inf values in a tensor of shape [2, 3]") &&
                                          Catch::Contains("flat index 1 (index [0, 1]) is -Inf"));
    tensor<T, dyn> big{std::numeric_limits<T>::max(), std::numeric_limits<T>::max()};
    CHECK_THROWS_MATCHES(tfx::check_numerics(tfx::sum(big), "total"), tfx::numerics_error,
                         Catch::Matchers::Message(
                             "tfx: check_numerics: total: 1 Inf value in a tensor of shape []; the first at flat index 0 is +Inf"));
}

TEMPLATE_TEST_CASE("check_numerics of a temporary tensor returns it by value", "[numerics]", float, double) {
    using T = TestType;
    auto r = tfx::check_numerics(tensor<T, dyn>{1, 2, 3}, "tmp");
    STATIC_REQUIRE(std::is_same_v<decltype(r), tensor<T, dyn>>);
    CHECK(r(2) == 3);
    CHECK_THROWS_AS(tfx::check_numerics(tensor<T, dyn>{1, nan_v<T>}, "tmp"), tfx::numerics_error);
}

TEST_CASE("check_numerics' static_assert condition: floating-point elements only", "[numerics]") {
    STATIC_REQUIRE(tfx::floating_elements<tfx::check_numerics_op, float>);
    STATIC_REQUIRE(tfx::floating_elements<tfx::check_numerics_op, double>);
    STATIC_REQUIRE_FALSE(tfx::floating_elements<tfx::check_numerics_op, std::int32_t>);
    STATIC_REQUIRE_FALSE(tfx::floating_elements<tfx::check_numerics_op, bool>);
}

// ------------------------------------------------------------------------------ flush_denormals

TEST_CASE("flush_denormals is a non-copyable, non-movable scope guard", "[numerics]") {
    STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<tfx::flush_denormals>);
    STATIC_REQUIRE_FALSE(std::is_copy_assignable_v<tfx::flush_denormals>);
    STATIC_REQUIRE_FALSE(std::is_move_constructible_v<tfx::flush_denormals>);
    STATIC_REQUIRE_FALSE(std::is_move_assignable_v<tfx::flush_denormals>);
    STATIC_REQUIRE(std::is_nothrow_default_constructible_v<tfx::flush_denormals>);
#if defined(__SSE__) || defined(__aarch64__)
    STATIC_REQUIRE(tfx::flush_denormals::supported);
#endif
}

#if defined(__SSE__)
namespace {
// a * b through the SSE unit, out of the compiler's sight (no constant folding).
template <class T>
T product(T a, T b) {
    volatile T va = a, vb = b;
    return va * vb;
}
}  // namespace

TEMPLATE_TEST_CASE("flush_denormals flushes denormal results and operands to zero inside the scope only",
                   "[numerics]", float, double) {
    using T = TestType;
    // tiny * small is a denormal (FTZ flushes it); a denormal * big is normal (DAZ reads the
    // denormal as 0)
    const T tiny = std::is_same_v<T, float> ? T(1e-30) : T(1e-300);
    const T small = T(1e-10);
    const T denormal = std::numeric_limits<T>::denorm_min() * T(1000);
    const T big = std::is_same_v<T, float> ? T(1e30) : T(1e300);
    REQUIRE_FALSE(tfx::denormals_flushed());  // the test process starts with IEEE behaviour
    REQUIRE(product(tiny, small) != 0);
    REQUIRE(std::fpclassify(product(tiny, small)) == FP_SUBNORMAL);
    REQUIRE(product(denormal, big) != 0);

    // through a tfx expression over a tensor (SIMD body and scalar tail)
    tensor<T, dyn> x(67), d(67);
    x.fill(tiny);
    d.fill(denormal);
    x(66) = -tiny;
    tensor<T, dyn> y(67), z(67);
    {
        tfx::flush_denormals guard;
        CHECK(tfx::denormals_flushed());
        CHECK((_mm_getcsr() & 0x8040u) == 0x8040u);  // FTZ (bit 15) and DAZ (bit 6)
        CHECK(product(tiny, small) == 0);
        CHECK(std::signbit(product(-tiny, small)));  // flushed to -0
        CHECK(product(denormal, big) == 0);
        y = x * small;
        z = d * big;
        std::size_t nonzero = 0;
        for (T v : y) nonzero += v != 0;
        for (T v : z) nonzero += v != 0;
        CHECK(nonzero == 0);
        CHECK(std::signbit(y(66)));
    }
    CHECK_FALSE(tfx::denormals_flushed());
    CHECK((_mm_getcsr() & 0x8040u) == 0);
    CHECK(product(tiny, small) != 0);
    CHECK(product(denormal, big) != 0);
    y = x * small;
    z = d * big;
    std::size_t zero = 0;
    for (T v : y) zero += v == 0;
    for (T v : z) zero += v == 0;
    CHECK(zero == 0);
    CHECK(y(0) == product(tiny, small));
}

TEST_CASE("flush_denormals nests and restores only its two bits", "[numerics]") {
    const unsigned before = _mm_getcsr();
    REQUIRE((before & 0x8040u) == 0);
    SECTION("nested guards: the inner one leaves the outer one's setting") {
        {
            tfx::flush_denormals outer;
            {
                tfx::flush_denormals inner;
                CHECK(tfx::denormals_flushed());
            }
            CHECK(tfx::denormals_flushed());
            CHECK(product(1e-30f, 1e-10f) == 0);
        }
        CHECK_FALSE(tfx::denormals_flushed());
        // The control bits are back; the status flags (bits 0-5) may not be: the product above
        // raised underflow, and flags raised inside the scope survive it (the third section).
        CHECK((_mm_getcsr() & ~0x3Fu) == (before & ~0x3Fu));
    }
    SECTION("a flush already set by the caller stays set") {
        _mm_setcsr(before | 0x8040u);
        { tfx::flush_denormals guard; }
        CHECK(tfx::denormals_flushed());
        _mm_setcsr(before);
    }
    SECTION("exception flags raised and the rounding mode set inside the scope survive it") {
        std::feclearexcept(FE_ALL_EXCEPT);
        const int round = std::fegetround();
        {
            tfx::flush_denormals guard;
            volatile double zero = 0;
            volatile double q = zero / zero;  // raises FE_INVALID
            (void)q;
            std::fesetround(FE_UPWARD);
        }
        CHECK(std::fetestexcept(FE_INVALID));
        CHECK(std::fegetround() == FE_UPWARD);
        std::fesetround(round);
        std::feclearexcept(FE_ALL_EXCEPT);
        CHECK_FALSE(tfx::denormals_flushed());
    }
    CHECK((_mm_getcsr() & ~0x3Fu) == (before & ~0x3Fu));  // all but the sticky flags as before
}
#endif

#endif  // TFX_NUMERICS_COMPILE_FAIL
