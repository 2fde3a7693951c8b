#pragma once
// The elementwise op table: one small struct per op with its name and its rule. A rule is written
// once for scalars and SIMD batches alike (std:: functions for scalars, xsimd's for batches are
// picked by overload resolution). Derivative rules are added beside these by the autodiff headers.
#include <cmath>
#include <type_traits>

#include "../autodiff/dual.hpp"
#include "../core/config.hpp"

namespace tfx::ops {

namespace detail {
// One element (a number or a dual number), as opposed to a SIMD batch.
template <class X>
inline constexpr bool is_scalar = std::is_arithmetic_v<X> || is_dual<X>::value;

template <class C, class X>
inline X select(const C& c, const X& a, const X& b) {
    if constexpr (is_scalar<X>)
        return c ? a : b;
    else
        return xsimd::select(c, a, b);
}
// max/min propagate NaN from either operand (as numpy.maximum), identically in the scalar and
// SIMD paths: a + b is NaN exactly when one of them is.
template <class X>
inline X vmax(const X& a, const X& b) {
    if constexpr (is_scalar<X>) {
        if constexpr (std::is_floating_point_v<X>)
            if (a != a || b != b) return a + b;
        return a < b ? b : a;
    } else {
        return xsimd::select(xsimd::isnan(a) || xsimd::isnan(b), a + b, xsimd::max(a, b));
    }
}
template <class X>
inline X vmin(const X& a, const X& b) {
    if constexpr (is_scalar<X>) {
        if constexpr (std::is_floating_point_v<X>)
            if (a != a || b != b) return a + b;
        return b < a ? b : a;
    } else {
        return xsimd::select(xsimd::isnan(a) || xsimd::isnan(b), a + b, xsimd::min(a, b));
    }
}
}  // namespace detail

// Result element types: most ops keep their operand's type; predicates give bool.
struct same_type {
    template <class V, class... Rest>
    using result = V;
    static constexpr bool floating_only = false;
    static constexpr bool predicate = false;
};
struct floating : same_type {
    static constexpr bool floating_only = true;
};
struct predicate_op {
    template <class... V>
    using result = bool;
    static constexpr bool floating_only = false;
    static constexpr bool predicate = true;
};

// ---- arithmetic
struct add : same_type {
    static constexpr const char* name = "add";
    template <class X>
    static X apply(const X& a, const X& b) { return a + b; }
};
struct sub : same_type {
    static constexpr const char* name = "sub";
    template <class X>
    static X apply(const X& a, const X& b) { return a - b; }
};
struct mul : same_type {
    static constexpr const char* name = "mul";
    template <class X>
    static X apply(const X& a, const X& b) { return a * b; }
};
struct div : same_type {
    static constexpr const char* name = "div";
    template <class X>
    static X apply(const X& a, const X& b) { return a / b; }
};
struct neg : same_type {
    static constexpr const char* name = "neg";
    template <class X>
    static X apply(const X& a) { return -a; }
};
struct maximum : same_type {
    static constexpr const char* name = "maximum";
    template <class X>
    static X apply(const X& a, const X& b) { return detail::vmax(a, b); }
};
struct minimum : same_type {
    static constexpr const char* name = "minimum";
    template <class X>
    static X apply(const X& a, const X& b) { return detail::vmin(a, b); }
};
struct clip : same_type {
    static constexpr const char* name = "clip";
    template <class X>
    static X apply(const X& x, const X& lo, const X& hi) { return detail::vmin(detail::vmax(x, lo), hi); }
};
struct square : same_type {
    static constexpr const char* name = "square";
    template <class X>
    static X apply(const X& x) { return x * x; }
};
struct abs : same_type {
    static constexpr const char* name = "abs";
    template <class X>
    static X apply(const X& x) {
        if constexpr (std::is_unsigned_v<X>)
            return x;
        else {
            using std::abs;
            return abs(x);
        }
    }
};

// ---- comparisons (bool results; a SIMD comparison gives a batch_bool mask)
struct less : predicate_op {
    static constexpr const char* name = "less";
    template <class X>
    static auto apply(const X& a, const X& b) { return a < b; }
};
struct less_equal : predicate_op {
    static constexpr const char* name = "less_equal";
    template <class X>
    static auto apply(const X& a, const X& b) { return a <= b; }
};
struct greater : predicate_op {
    static constexpr const char* name = "greater";
    template <class X>
    static auto apply(const X& a, const X& b) { return a > b; }
};
struct greater_equal : predicate_op {
    static constexpr const char* name = "greater_equal";
    template <class X>
    static auto apply(const X& a, const X& b) { return a >= b; }
};
struct equal : predicate_op {
    static constexpr const char* name = "equal";
    template <class X>
    static auto apply(const X& a, const X& b) { return a == b; }
};
struct not_equal : predicate_op {
    static constexpr const char* name = "not_equal";
    template <class X>
    static auto apply(const X& a, const X& b) { return a != b; }
};

struct where {
    template <class C, class V, class W>
    using result = V;
    static constexpr bool floating_only = false;
    static constexpr bool predicate = false;
    static constexpr const char* name = "where";
    template <class C, class X>
    static X apply(const C& c, const X& a, const X& b) { return detail::select(c, a, b); }
};

template <class U>
struct cast {
    template <class V>
    using result = U;
    static constexpr bool floating_only = false;
    static constexpr bool predicate = false;
    static constexpr const char* name = "cast";
    template <class X>
    static auto apply(const X& x) {
        if constexpr (detail::is_scalar<X>)
            return static_cast<U>(x);
        else
            return x;  // the SIMD path is taken only when the cast is an identity
    }
};

// ---- floating-point functions
struct exp : floating {
    static constexpr const char* name = "exp";
    template <class X>
    static X apply(const X& x) { using std::exp; return exp(x); }
};
struct log : floating {
    static constexpr const char* name = "log";
    template <class X>
    static X apply(const X& x) { using std::log; return log(x); }
};
struct log1p : floating {
    static constexpr const char* name = "log1p";
    template <class X>
    static X apply(const X& x) { using std::log1p; return log1p(x); }
};
struct expm1 : floating {
    static constexpr const char* name = "expm1";
    template <class X>
    static X apply(const X& x) { using std::expm1; return expm1(x); }
};
struct sqrt : floating {
    static constexpr const char* name = "sqrt";
    template <class X>
    static X apply(const X& x) { using std::sqrt; return sqrt(x); }
};
// Exact 1/sqrt: the hardware estimate has only ~12 bits.
struct rsqrt : floating {
    static constexpr const char* name = "rsqrt";
    template <class X>
    static X apply(const X& x) { using std::sqrt; return X(1) / sqrt(x); }
};
struct pow : floating {
    static constexpr const char* name = "pow";
    template <class X>
    static X apply(const X& a, const X& b) { using std::pow; return pow(a, b); }
};
struct sin : floating {
    static constexpr const char* name = "sin";
    template <class X>
    static X apply(const X& x) { using std::sin; return sin(x); }
};
struct cos : floating {
    static constexpr const char* name = "cos";
    template <class X>
    static X apply(const X& x) { using std::cos; return cos(x); }
};
struct tanh : floating {
    static constexpr const char* name = "tanh";
    template <class X>
    static X apply(const X& x) { using std::tanh; return tanh(x); }
};
struct erf : floating {
    static constexpr const char* name = "erf";
    template <class X>
    static X apply(const X& x) { using std::erf; return erf(x); }
};
struct sigmoid : floating {
    static constexpr const char* name = "sigmoid";
    template <class X>
    static X apply(const X& x) { using std::exp; return X(1) / (X(1) + exp(-x)); }
};
struct relu : same_type {
    static constexpr const char* name = "relu";
    template <class X>
    static X apply(const X& x) { return detail::vmax(x, X(0)); }
};
struct leaky_relu : floating {
    static constexpr const char* name = "leaky_relu";
    template <class X>
    static X apply(const X& x, const X& alpha) { return detail::select(x > X(0), x, alpha * x); }
};
struct elu : floating {
    static constexpr const char* name = "elu";
    template <class X>
    static X apply(const X& x, const X& alpha) {
        using std::expm1;
        return detail::select(x > X(0), x, alpha * expm1(x));
    }
};
// The exact GELU (TensorFlow's default, approximate=False).
struct gelu : floating {
    static constexpr const char* name = "gelu";
    template <class X>
    static X apply(const X& x) {
        using std::erf;
        return X(0.5) * x * (X(1) + erf(x * X(0.70710678118654752440)));
    }
};
// softplus(x) = log(1 + e^x), written so that it neither overflows nor loses small values.
struct softplus : floating {
    static constexpr const char* name = "softplus";
    template <class X>
    static X apply(const X& x) {
        using std::abs;
        using std::exp;
        using std::log1p;
        return detail::vmax(x, X(0)) + log1p(exp(-abs(x)));
    }
};

}  // namespace tfx::ops
