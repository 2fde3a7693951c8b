#pragma once
// Shared by the elementwise tests: run an op on lengths that exercise the SIMD body and its tail,
// and compare with a reference computed in double.
#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace tfx_test {

using tfx::dims_t;
using tfx::dyn;
using tfx::tensor;

// Lengths around the SIMD batch (16 floats / 8 doubles with AVX-512; the loop does two batches per
// iteration) so that every op runs its vector body, its single-batch step and its scalar tail.
inline constexpr std::size_t lengths[] = {1, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 1000, 1023};

template <class T>
inline constexpr double eps = std::numeric_limits<T>::epsilon();

// got ≈ want within ulps * eps(T) * max(|want|, floor); NaN must match NaN, infinities exactly.
template <class T>
bool close(T got, double want, double ulps, double floor) {
    if (std::isnan(want)) return std::isnan(got);
    if (std::isinf(want)) return double(got) == want;
    if (std::isnan(got) || std::isinf(got)) return false;
    return std::abs(double(got) - want) <= ulps * eps<T> * std::max(std::abs(want), floor);
}

// "" when every element of got matches want, otherwise the first mismatch and how many there are.
template <class T>
std::string mismatches(const T* got, const std::vector<double>& want, double ulps, double floor,
                       const std::function<std::string(std::size_t)>& input) {
    std::size_t count = 0, first = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
        if (!close(got[i], want[i], ulps, floor)) {
            if (count++ == 0) first = i;
        }
    if (count == 0) return "";
    std::ostringstream os;
    os.precision(std::numeric_limits<double>::max_digits10);
    os << count << " of " << want.size() << " elements differ; first at " << first << ": input " << input(first)
       << ", got " << double(got[first]) << ", want " << want[first];
    return os.str();
}

template <class T, class Tn>
void fill_uniform(Tn& t, double lo, double hi, std::mt19937& gen) {
    std::uniform_real_distribution<double> dist(lo, hi);
    for (auto& v : t) v = T(dist(gen));
}

template <class T>
std::string num(T v) {
    std::ostringstream os;
    os.precision(std::numeric_limits<T>::max_digits10);
    os << v;
    return os.str();
}

struct domain {
    double lo, hi;
};
struct accuracy {
    double ulps = 4;   // allowed error in units of eps(T) ...
    double floor = 1;  // ... relative to max(|want|, floor): 0 is purely relative
};
inline constexpr accuracy exact{0.5, 0};  // correctly rounded: IEEE arithmetic

// y = f(x) on every length, against ref in double.
template <class T, class F, class R>
void check_unary(F f, R ref, domain d, accuracy acc = {}) {
    std::mt19937 gen(20240601);
    for (std::size_t n : lengths) {
        INFO("length " << n);
        tensor<T, dyn> x(n);
        fill_uniform<T>(x, d.lo, d.hi, gen);
        tensor<T, dyn> y = f(x);
        REQUIRE(y.shape() == x.shape());
        std::vector<double> want(n);
        for (std::size_t i = 0; i < n; ++i) want[i] = ref(double(x(i)));
        const auto m = mismatches(y.data(), want, acc.ulps, acc.floor, [&](std::size_t i) { return num(x(i)); });
        INFO(m);
        CHECK(m.empty());
    }
}

// z = f(a, b) for a, b of every length; with a number on either side; and [2, n] with [n]
// (a broadcast row: the loop runs row by row).
template <class T, class F, class R>
void check_binary(F f, R ref, domain da, domain db, accuracy acc = {}) {
    std::mt19937 gen(987654);
    for (std::size_t n : lengths) {
        INFO("length " << n);
        tensor<T, dyn> a(n), b(n);
        fill_uniform<T>(a, da.lo, da.hi, gen);
        fill_uniform<T>(b, db.lo, db.hi, gen);
        {
            tensor<T, dyn> z = f(a, b);
            REQUIRE(z.shape() == a.shape());
            std::vector<double> want(n);
            for (std::size_t i = 0; i < n; ++i) want[i] = ref(double(a(i)), double(b(i)));
            const auto m = mismatches(z.data(), want, acc.ulps, acc.floor,
                                      [&](std::size_t i) { return "(" + num(a(i)) + ", " + num(b(i)) + ")"; });
            INFO("tensor with tensor: " << m);
            CHECK(m.empty());
        }
        {
            const T s = b(0);
            tensor<T, dyn> z1 = f(a, s);
            tensor<T, dyn> z2 = f(s, a);
            std::vector<double> w1(n), w2(n);
            for (std::size_t i = 0; i < n; ++i) {
                w1[i] = ref(double(a(i)), double(s));
                w2[i] = ref(double(s), double(a(i)));
            }
            const auto m1 = mismatches(z1.data(), w1, acc.ulps, acc.floor,
                                       [&](std::size_t i) { return num(a(i)) + " with number " + num(s); });
            const auto m2 = mismatches(z2.data(), w2, acc.ulps, acc.floor,
                                       [&](std::size_t i) { return "number " + num(s) + " with " + num(a(i)); });
            INFO("tensor with number: " << m1);
            CHECK(m1.empty());
            INFO("number with tensor: " << m2);
            CHECK(m2.empty());
        }
        {
            tensor<T, dyn, dyn> A(2, n);
            fill_uniform<T>(A, da.lo, da.hi, gen);
            tensor<T, dyn, dyn> z = f(A, b);
            REQUIRE(z.shape() == dims_t<2>{2, n});
            std::vector<double> w(2 * n);
            for (std::size_t r = 0; r < 2; ++r)
                for (std::size_t i = 0; i < n; ++i) w[r * n + i] = ref(double(A(r, i)), double(b(i)));
            const auto m = mismatches(z.data(), w, acc.ulps, acc.floor, [&](std::size_t k) {
                return "(" + num(A.data()[k]) + ", " + num(b(k % n)) + ")";
            });
            INFO("[2, n] with [n]: " << m);
            CHECK(m.empty());
        }
    }
}

}  // namespace tfx_test
