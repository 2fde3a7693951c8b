#pragma once
// dual<T>: a value and a tangent, the number of forward mode. It is a value type like float:
// tensor<dual<double>, 3> runs through every elementwise op (each op's rule is written once for
// numbers, and the functions below carry the tangent), and through sum/mean/max/min.
#include <cmath>
#include <limits>
#include <ostream>

namespace tfx {

template <class T>
struct dual {
    T v{};  // value
    T t{};  // tangent
    constexpr dual() = default;
    constexpr dual(T value) : v(value) {}  // a constant: tangent 0
    constexpr dual(T value, T tangent) : v(value), t(tangent) {}
    template <class U>
        requires std::is_arithmetic_v<U>
    constexpr explicit dual(U value) : v(T(value)) {}

    constexpr dual& operator+=(const dual& o) { return *this = *this + o; }
    constexpr dual& operator-=(const dual& o) { return *this = *this - o; }
    constexpr dual& operator*=(const dual& o) { return *this = *this * o; }
    constexpr dual& operator/=(const dual& o) { return *this = *this / o; }

    friend constexpr dual operator+(const dual& a, const dual& b) { return {a.v + b.v, a.t + b.t}; }
    friend constexpr dual operator-(const dual& a, const dual& b) { return {a.v - b.v, a.t - b.t}; }
    friend constexpr dual operator*(const dual& a, const dual& b) { return {a.v * b.v, a.t * b.v + a.v * b.t}; }
    friend constexpr dual operator/(const dual& a, const dual& b) { return {a.v / b.v, (a.t * b.v - a.v * b.t) / (b.v * b.v)}; }
    friend constexpr dual operator-(const dual& a) { return {-a.v, -a.t}; }
    // Comparisons look at values, as branches of the function being differentiated do.
    friend constexpr bool operator<(const dual& a, const dual& b) { return a.v < b.v; }
    friend constexpr bool operator<=(const dual& a, const dual& b) { return a.v <= b.v; }
    friend constexpr bool operator>(const dual& a, const dual& b) { return a.v > b.v; }
    friend constexpr bool operator>=(const dual& a, const dual& b) { return a.v >= b.v; }
    friend constexpr bool operator==(const dual& a, const dual& b) { return a.v == b.v; }
    friend constexpr bool operator!=(const dual& a, const dual& b) { return a.v != b.v; }
    friend std::ostream& operator<<(std::ostream& os, const dual& d) { return os << d.v << "+" << d.t << "e"; }
};

template <class T>
struct is_dual : std::false_type {};
template <class T>
struct is_dual<dual<T>> : std::true_type {};

// The chain rule for each function: f(v + t e) = f(v) + f'(v) t e.
template <class T>
dual<T> exp(const dual<T>& a) {
    const T e = std::exp(a.v);
    return {e, e * a.t};
}
template <class T>
dual<T> log(const dual<T>& a) {
    return {std::log(a.v), a.t / a.v};
}
template <class T>
dual<T> log1p(const dual<T>& a) {
    return {std::log1p(a.v), a.t / (T(1) + a.v)};
}
template <class T>
dual<T> expm1(const dual<T>& a) {
    return {std::expm1(a.v), std::exp(a.v) * a.t};
}
template <class T>
dual<T> sqrt(const dual<T>& a) {
    const T s = std::sqrt(a.v);
    return {s, a.t / (T(2) * s)};
}
template <class T>
dual<T> pow(const dual<T>& a, const dual<T>& b) {
    const T p = std::pow(a.v, b.v);
    const T dlog = a.v > T(0) ? std::log(a.v) : T(0);
    return {p, b.v * std::pow(a.v, b.v - T(1)) * a.t + dlog * p * b.t};
}
template <class T>
dual<T> sin(const dual<T>& a) {
    return {std::sin(a.v), std::cos(a.v) * a.t};
}
template <class T>
dual<T> cos(const dual<T>& a) {
    return {std::cos(a.v), -std::sin(a.v) * a.t};
}
template <class T>
dual<T> tanh(const dual<T>& a) {
    const T th = std::tanh(a.v);
    return {th, (T(1) - th * th) * a.t};
}
template <class T>
dual<T> erf(const dual<T>& a) {
    return {std::erf(a.v), T(1.12837916709551257390) * std::exp(-a.v * a.v) * a.t};
}
template <class T>
dual<T> abs(const dual<T>& a) {
    return a.v < T(0) ? -a : a;
}

}  // namespace tfx

template <class T>
struct std::numeric_limits<tfx::dual<T>> : std::numeric_limits<T> {
    static constexpr tfx::dual<T> infinity() noexcept { return tfx::dual<T>(std::numeric_limits<T>::infinity()); }
    static constexpr tfx::dual<T> lowest() noexcept { return tfx::dual<T>(std::numeric_limits<T>::lowest()); }
    static constexpr tfx::dual<T> max() noexcept { return tfx::dual<T>(std::numeric_limits<T>::max()); }
    static constexpr tfx::dual<T> quiet_NaN() noexcept { return tfx::dual<T>(std::numeric_limits<T>::quiet_NaN()); }
};
