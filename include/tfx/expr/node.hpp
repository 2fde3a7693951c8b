#pragma once
// What every expression is: a small value that knows its element type and static shape and
// computes nothing. Leaves are tensors (held by reference, or by value when the tensor is a
// temporary) and scalars; nodes hold their children by value.
#include <concepts>
#include <cstdint>
#include <cstring>
#include <vector>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../core/shape.hpp"

namespace tfx {

// Every node derives from expr_base<T, S>, and expr_base has no base of its own. An empty base
// common to all nodes would need distinct addresses in a node and in the child stored at the node's
// start, which padded most levels of nesting by 8 bytes (map<sub, arg, scalar>: 32 bytes, now 24).
// Reverse mode copies expressions into the adjoints it builds at every call, so their size is part
// of a small gradient's fixed cost. (A node and its first child with the same T and S still pad.)
template <class T, class S>
struct expr_base {
    using tfx_expression_tag = void;
    using value_type = T;
    using shape_type = S;
    static constexpr std::size_t rank = S::rank;
};

template <class E>
concept expression = requires { typename std::remove_cvref_t<E>::tfx_expression_tag; };

template <class T, index_t... E>
class tensor;

template <class T>
struct is_tensor : std::false_type {};
template <class T, index_t... E>
struct is_tensor<tensor<T, E...>> : std::true_type {};
template <class T>
inline constexpr bool is_tensor_v = is_tensor<std::remove_cvref_t<T>>::value;

// The tensor type that holds the value of an expression with element type T and shape S.
template <class T, class S>
struct tensor_for;
template <class T, index_t... E>
struct tensor_for<T, shape<E...>> {
    using type = tensor<T, E...>;
};
template <class E>
using tensor_of = typename tensor_for<typename E::value_type, typename E::shape_type>::type;

// A tensor leaf held by reference: the expression must not outlive the tensor (as with any view).
template <class Tn>
struct tref : expr_base<typename Tn::value_type, typename Tn::shape_type> {
    const Tn* t;
    explicit tref(const Tn& x) : t(&x) {}
    const Tn& get() const { return *t; }
    const typename Tn::value_type* data() const { return t->data(); }
    dims_t<Tn::rank> dims() const { return t->shape(); }
    auto children() const { return std::tuple<>(); }
};

// A tensor leaf that owns its tensor: made from a temporary, so `sum(tensor<float, 3>{...})` is safe.
template <class Tn>
struct tval : expr_base<typename Tn::value_type, typename Tn::shape_type> {
    Tn t;
    explicit tval(Tn&& x) : t(std::move(x)) {}
    const Tn& get() const { return t; }
    const typename Tn::value_type* data() const { return t.data(); }
    dims_t<Tn::rank> dims() const { return t.shape(); }
    auto children() const { return std::tuple<>(); }
};

template <class T>
struct scalar : expr_base<T, shape<>> {
    T value;
    explicit scalar(T v) : value(v) {}
    dims_t<0> dims() const { return {}; }
    auto children() const { return std::tuple<>(); }
};

// A leaf over contiguous row-major memory that something else owns (a kernel's buffer).
template <class T, class S>
struct view : expr_base<T, S> {
    const T* p;
    dims_t<S::rank> d;
    view(const T* ptr, const dims_t<S::rank>& dims_) : p(ptr), d(dims_) {}
    const T* data() const { return p; }
    dims_t<S::rank> dims() const { return d; }
    auto children() const { return std::tuple<>(); }
};

// The constant 1 known to the compiler (the seed of reverse mode), so that g * x folds to x.
template <class T>
struct unit : expr_base<T, shape<>> {
    static constexpr T value = T(1);
    dims_t<0> dims() const { return {}; }
    auto children() const { return std::tuple<>(); }
};

template <class E>
struct is_leaf : std::false_type {};
template <class T, class S>
struct is_leaf<view<T, S>> : std::true_type {};
template <class Tn>
struct is_leaf<tref<Tn>> : std::true_type {};
template <class Tn>
struct is_leaf<tval<Tn>> : std::true_type {};

// Turn an operand into a node: tensors become leaves, expressions are copied (they are small).
template <class X>
auto as_node(X&& x) {
    using D = std::remove_cvref_t<X>;
    if constexpr (is_tensor_v<D>) {
        if constexpr (std::is_lvalue_reference_v<X>)
            return tref<D>(x);
        else
            return tval<D>(std::move(x));
    } else {
        static_assert(expression<D>, "tfx: operand is neither a tensor nor an expression");
        return D(std::forward<X>(x));
    }
}
template <class X>
using node_t = decltype(as_node(std::declval<X>()));

// An operand is an expression or a plain number; numbers take the element type of the expression
// they are combined with (as TensorFlow's weakly typed Python scalars do).
template <class T>
struct dual;
template <class X>
struct is_dual_number : std::false_type {};
template <class T>
struct is_dual_number<dual<T>> : std::true_type {};
// Numbers: arithmetic values and dual numbers.
template <class X>
concept number = std::is_arithmetic_v<std::remove_cvref_t<X>> || is_dual_number<std::remove_cvref_t<X>>::value;
template <class X>
concept operand = expression<X> || number<X>;

template <class T, class X>
auto as_operand(X&& x) {
    if constexpr (number<X>)
        return scalar<T>(static_cast<T>(x));
    else
        return as_node(std::forward<X>(x));
}

// The element type of a mix of expressions and numbers: that of the expressions, which must agree.
template <class... X>
struct common_value;
template <class X, class... Rest>
struct common_value<X, Rest...> : common_value<Rest...> {};
template <expression X, class... Rest>
struct common_value<X, Rest...> {
    using type = typename std::remove_cvref_t<X>::value_type;
};
template <>
struct common_value<> {
    using type = void;
};

template <class X>
struct value_or_void_impl {
    using type = void;
};
template <expression X>
struct value_or_void_impl<X> {
    using type = typename std::remove_cvref_t<X>::value_type;
};
template <class X>
using value_or_void = typename value_or_void_impl<X>::type;



// Every node lists its children as a tuple of references; generic walks (printing, alias checks,
// gradients) go through children() and need no per-node code.
template <class E, class F>
void for_each_leaf(const E& e, F&& f) {
    if constexpr (is_leaf<E>::value)
        f(e);
    else
        std::apply([&](const auto&... c) { (for_each_leaf(c, f), ...); }, e.children());
}

// Does the expression read the storage at p (so that writing there while evaluating is unsafe)?
template <class E>
bool references(const E& e, const void* p) {
    bool found = false;
    for_each_leaf(e, [&](const auto& t) { found = found || static_cast<const void*>(t.data()) == p; });
    return found;
}

template <class... V>
struct first_non_void {
    using type = void;
};
template <class V, class... R>
struct first_non_void<V, R...> {
    using type = std::conditional_t<std::is_void_v<V>, typename first_non_void<R...>::type, V>;
};

// 'tfx::same_element_types<float, double>' evaluates to false: the operands' element types, void
// standing for a plain number (which adapts).
template <class... V>
inline constexpr bool same_element_types = [] {
    using T = typename first_non_void<V...>::type;
    return ((std::is_void_v<V> || std::is_same_v<V, T>) && ...);
}();

// 'tfx::assignable_elements<tfx::tensor_elements<float>, tfx::expression_elements<double> >'.
template <class T>
struct tensor_elements {};
template <class T>
struct expression_elements {};
template <class TensorE, class ExprE>
inline constexpr bool assignable_elements = false;
template <class T>
inline constexpr bool assignable_elements<tensor_elements<T>, expression_elements<T>> = true;

// For ops that need floating-point elements: 'tfx::floating_elements<tfx::ops::softmax, int>'.
template <class Op, class T>
inline constexpr bool floating_elements = std::is_floating_point_v<T>;

// A node's identity as words: its leaves (storage and shape), scalar values and run-time
// parameters, in a fixed order for its type. Two nodes of the same type with the same words compute
// the same value. Kept by value, so it stays valid after the node itself is gone.
namespace detail {
template <class V>
void push_words(std::vector<std::uint64_t>& w, const V& v) {
    if constexpr (requires { std::tuple_size<V>::value; } && !std::is_arithmetic_v<V>) {
        std::apply([&](const auto&... x) { (push_words(w, x), ...); }, v);
    } else if constexpr (std::is_pointer_v<V>) {
        w.push_back(std::uint64_t(reinterpret_cast<std::uintptr_t>(v)));
    } else if constexpr (std::is_arithmetic_v<V> && sizeof(V) <= 8) {
        std::uint64_t u = 0;
        std::memcpy(&u, &v, sizeof(V));
        w.push_back(u);
    } else {
        static_assert(sizeof(V) % 8 == 0 && std::is_trivially_copyable_v<V>, "tfx: internal: cannot fingerprint a node parameter");
        const std::size_t at = w.size();
        w.resize(at + sizeof(V) / 8);
        std::memcpy(w.data() + at, &v, sizeof(V));
    }
}
}  // namespace detail

template <class E>
void identity_words(const E& e, std::vector<std::uint64_t>& w) {
    if constexpr (is_leaf<E>::value) {
        detail::push_words(w, static_cast<const void*>(e.data()));
        detail::push_words(w, e.dims());
    } else if constexpr (requires { e.value; }) {
        detail::push_words(w, e.value);
    } else {
        if constexpr (requires { e.params(); }) detail::push_words(w, e.params());
        std::apply([&](const auto&... c) { (identity_words(c, w), ...); }, e.children());
    }
}

// Structural equality of two nodes of the same type: the same leaves (storage and shape), the same
// scalar values and run-time parameters. Two equal nodes compute the same value, which is how
// common subexpressions are found (by type first, then confirmed by value).
template <class E>
bool same_node(const E& a, const E& b) {
    if constexpr (is_leaf<E>::value) {
        return a.data() == b.data() && a.dims() == b.dims();
    } else if constexpr (requires { a.value; }) {
        return a.value == b.value;
    } else {
        if constexpr (requires { a.params(); })
            if (!(a.params() == b.params())) return false;
        return std::apply(
            [&](const auto&... ca) {
                return std::apply([&](const auto&... cb) { return (same_node(ca, cb) && ...); }, b.children());
            },
            a.children());
    }
}

}  // namespace tfx
