#pragma once
// Elementwise nodes (map<Op, Args...>) and the functions and operators that build them, with NumPy
// broadcasting: static extents are checked here, at the user's call, dynamic ones at evaluation.
#include <tuple>

#include "node.hpp"
#include "ops.hpp"

namespace tfx {

template <class Op, class... A>
struct map : expr_base<typename Op::template result<typename A::value_type...>,
                       broadcast_shapes<typename A::shape_type...>> {
    using base = expr_base<typename Op::template result<typename A::value_type...>,
                           broadcast_shapes<typename A::shape_type...>>;
    std::tuple<A...> args;
    explicit map(A... a) : args(std::move(a)...) {}
    auto children() const {
        return std::apply([](const auto&... a) { return std::tie(a...); }, args);
    }

    dims_t<base::rank> dims() const {
        return std::apply([](const auto&... a) { return fold_dims(a.dims()...); }, args);
    }

   private:
    template <class D>
    static auto fold_dims(const D& d) { return d; }
    template <class D0, class D1, class... D>
    static auto fold_dims(const D0& d0, const D1& d1, const D&... d) {
        return fold_dims(broadcast_dims(Op::name, d0, d1), d...);
    }
};

template <class E>
struct is_map : std::false_type {};
template <class Op, class... A>
struct is_map<map<Op, A...>> : std::true_type {};

// 'tfx::bool_condition<tfx::ops::where, float>' evaluates to false: the condition's element type.
template <class Op, class T>
inline constexpr bool bool_condition = std::is_same_v<T, bool>;

// Nodes that the fused loop evaluates in place; every other node is computed by a kernel.
template <class E>
struct is_elementwise_node : std::bool_constant<is_leaf<E>::value || is_map<E>::value> {};
template <class T>
struct is_elementwise_node<scalar<T>> : std::true_type {};
template <class T>
struct is_elementwise_node<unit<T>> : std::true_type {};

// Expressions that are 1 everywhere by construction (unit, or unit broadcast): x * one folds to x.
template <class E>
struct is_one : std::false_type {};
template <class T>
struct is_one<unit<T>> : std::true_type {};

// A purely elementwise graph: reading it twice recomputes cheap arithmetic, never a kernel.
template <class E>
inline constexpr bool is_pure_elementwise = [] {
    if constexpr (!is_elementwise_node<E>::value)
        return false;
    else
        return []<class... C>(std::type_identity<std::tuple<C...>>) {
            return (is_pure_elementwise<std::remove_cvref_t<C>> && ...);
        }(std::type_identity<decltype(std::declval<const E&>().children())>{});
}();

// 'tfx::elementwise_ok<tfx::ops::exp, int>' evaluates to false: the op wants floating point.
template <class Op, class T>
inline constexpr bool elementwise_ok = !Op::floating_only || std::is_floating_point_v<T> || is_dual<T>::value;

template <class Op, class T, class... X>
auto make_map(X&&... x) {
    static_assert(elementwise_ok<Op, T>, "tfx: this function needs floating-point elements (see the op and type below)");
    return map<Op, decltype(as_operand<T>(std::forward<X>(x)))...>(as_operand<T>(std::forward<X>(x))...);
}

template <class X, class T>
using operand_shape = typename decltype(as_operand<T>(std::declval<X>()))::shape_type;

template <class Op, class A, class B>
auto binary(A&& a, B&& b) {
    static_assert(same_element_types<value_or_void<A>, value_or_void<B>>,
                  "tfx: operands have different element types; convert one with cast<T> (types below)");
    using T = typename common_value<A, B>::type;
    static_assert(broadcastable<Op, operand_shape<A, T>, operand_shape<B, T>>,
                  "tfx: shapes cannot be broadcast together: extents must match or be 1 (shapes below)");
    using DA = std::remove_cvref_t<A>;
    using DB = std::remove_cvref_t<B>;
    // x * 1 and 1 * x fold to x (broadcast to the product's shape when the 1 was larger).
    if constexpr (std::is_same_v<Op, ops::mul> && is_one<DA>::value && expression<DB>) {
        using S = broadcast_shape<operand_shape<A, T>, operand_shape<B, T>>;
        if constexpr (std::is_same_v<S, typename node_t<B>::shape_type>)
            return as_node(std::forward<B>(b));
        else
            return make_map<Op, T>(std::forward<A>(a), std::forward<B>(b));
    } else if constexpr (std::is_same_v<Op, ops::mul> && is_one<DB>::value && expression<DA>) {
        using S = broadcast_shape<operand_shape<A, T>, operand_shape<B, T>>;
        if constexpr (std::is_same_v<S, typename node_t<A>::shape_type>)
            return as_node(std::forward<A>(a));
        else
            return make_map<Op, T>(std::forward<A>(a), std::forward<B>(b));
    } else {
        return make_map<Op, T>(std::forward<A>(a), std::forward<B>(b));
    }
}

template <class Op, class A>
auto unary(A&& a) {
    return make_map<Op, typename std::remove_cvref_t<A>::value_type>(std::forward<A>(a));
}

// ---- operators: at least one side is a tfx expression
#define TFX_BINARY_OPERATOR(sym, op)                                       \
    template <operand A, operand B>                                        \
        requires(expression<A> || expression<B>)                           \
    auto operator sym(A&& a, B&& b) {                                      \
        return binary<ops::op>(std::forward<A>(a), std::forward<B>(b));    \
    }
TFX_BINARY_OPERATOR(+, add)
TFX_BINARY_OPERATOR(-, sub)
TFX_BINARY_OPERATOR(*, mul)
TFX_BINARY_OPERATOR(/, div)
TFX_BINARY_OPERATOR(<, less)
TFX_BINARY_OPERATOR(<=, less_equal)
TFX_BINARY_OPERATOR(>, greater)
TFX_BINARY_OPERATOR(>=, greater_equal)
TFX_BINARY_OPERATOR(==, equal)
TFX_BINARY_OPERATOR(!=, not_equal)
#undef TFX_BINARY_OPERATOR

template <expression A>
auto operator-(A&& a) {
    return unary<ops::neg>(std::forward<A>(a));
}

// ---- named functions
#define TFX_UNARY_FUNCTION(fn)                       \
    template <expression A>                          \
    auto fn(A&& a) {                                 \
        return unary<ops::fn>(std::forward<A>(a));   \
    }
TFX_UNARY_FUNCTION(exp)
TFX_UNARY_FUNCTION(log)
TFX_UNARY_FUNCTION(log1p)
TFX_UNARY_FUNCTION(expm1)
TFX_UNARY_FUNCTION(sqrt)
TFX_UNARY_FUNCTION(rsqrt)
TFX_UNARY_FUNCTION(square)
TFX_UNARY_FUNCTION(abs)
TFX_UNARY_FUNCTION(sin)
TFX_UNARY_FUNCTION(cos)
TFX_UNARY_FUNCTION(tanh)
TFX_UNARY_FUNCTION(erf)
TFX_UNARY_FUNCTION(sigmoid)
TFX_UNARY_FUNCTION(relu)
TFX_UNARY_FUNCTION(gelu)
TFX_UNARY_FUNCTION(softplus)
#undef TFX_UNARY_FUNCTION

#define TFX_BINARY_FUNCTION(fn)                                          \
    template <operand A, operand B>                                      \
        requires(expression<A> || expression<B>)                         \
    auto fn(A&& a, B&& b) {                                              \
        return binary<ops::fn>(std::forward<A>(a), std::forward<B>(b));  \
    }
TFX_BINARY_FUNCTION(pow)
TFX_BINARY_FUNCTION(maximum)
TFX_BINARY_FUNCTION(minimum)
#undef TFX_BINARY_FUNCTION

// leaky_relu(x, alpha = 0.2) and elu(x, alpha = 1) as in tf.nn.
template <expression A>
auto leaky_relu(A&& x, double alpha = 0.2) {
    using T = typename std::remove_cvref_t<A>::value_type;
    return make_map<ops::leaky_relu, T>(std::forward<A>(x), static_cast<T>(alpha));
}
template <expression A>
auto elu(A&& x, double alpha = 1.0) {
    using T = typename std::remove_cvref_t<A>::value_type;
    return make_map<ops::elu, T>(std::forward<A>(x), static_cast<T>(alpha));
}

template <expression X, operand L, operand H>
auto clip(X&& x, L&& lo, H&& hi) {
    using T = typename std::remove_cvref_t<X>::value_type;
    static_assert(same_element_types<value_or_void<X>, value_or_void<L>, value_or_void<H>>,
                  "tfx: clip: the bounds have a different element type than x (types below)");
    static_assert(broadcastable<ops::clip, operand_shape<X, T>, operand_shape<L, T>> &&
                      broadcastable<ops::clip, broadcast_shape<operand_shape<X, T>, operand_shape<L, T>>,
                                    operand_shape<H, T>>,
                  "tfx: clip: bounds cannot be broadcast to x (shapes below)");
    return make_map<ops::clip, T>(std::forward<X>(x), std::forward<L>(lo), std::forward<H>(hi));
}

// where(condition, a, b): a where the condition holds, b elsewhere; all three broadcast.
template <expression C, operand A, operand B>
    requires(expression<A> || expression<B>)
auto where(C&& c, A&& a, B&& b) {
    static_assert(bool_condition<ops::where, typename std::remove_cvref_t<C>::value_type>,
                  "tfx: where: the condition must be a bool expression, a comparison or a bool tensor (its type below)");
    static_assert(same_element_types<value_or_void<A>, value_or_void<B>>,
                  "tfx: where: both branches must have the same element type (types below)");
    using T = typename common_value<A, B>::type;
    using SC = typename node_t<C>::shape_type;
    static_assert(broadcastable<ops::where, operand_shape<A, T>, operand_shape<B, T>>,
                  "tfx: where: the two branches cannot be broadcast together (shapes below)");
    static_assert(broadcastable<ops::where, SC, broadcast_shape<operand_shape<A, T>, operand_shape<B, T>>>,
                  "tfx: where: the condition cannot be broadcast to the branches' shape (condition shape, then branches' shape, below)");
    return map<ops::where, node_t<C>, decltype(as_operand<T>(std::forward<A>(a))),
               decltype(as_operand<T>(std::forward<B>(b)))>(as_node(std::forward<C>(c)), as_operand<T>(std::forward<A>(a)),
                                                             as_operand<T>(std::forward<B>(b)));
}

template <class U, expression A>
auto cast(A&& a) {
    return map<ops::cast<U>, node_t<A>>(as_node(std::forward<A>(a)));
}

}  // namespace tfx
