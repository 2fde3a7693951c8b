#pragma once
// cond(pred, then_fn, else_fn): a scalar predicate picks one branch at run time, and only that
// branch is evaluated. Both branch functions are called when the graph is built (they return
// expressions, which cost nothing until evaluated), so the result has one type whatever the
// predicate: the branches must agree on element type and rank, and on every extent that both know
// statically (a dynamic extent is checked when the node is evaluated).
//
// Gradients flow through the branch taken only. The adjoint reaching a branch is gated: a gate node
// is the adjoint when the predicate picks its branch and zeros otherwise, and the gate is pushed down
// the branch with every vjp, so the branch's backward chain is evaluated only when its branch was
// taken. (A where() would compute both backward chains, and 0 * inf from the branch not taken would
// give NaN, as in tf.where.)
#include "../autodiff/jvp.hpp"

namespace tfx {

namespace detail {

// The predicate's truth: nonzero (or true), evaluated as a rank-0 expression.
template <class P>
bool truth(const P& p, eval_ctx& ctx) {
    using V = typename P::value_type;
    if constexpr (requires { p.value; }) {
        return p.value != V(0);
    } else {
        V v{};
        eval_block(p, &v, dims_t<0>{}, ctx);
        return v != V(0);
    }
}

template <class A, class B>
constexpr bool extents_agree() {
    if constexpr (A::rank != B::rank) {
        return false;
    } else {
        for (std::size_t i = 0; i < A::rank; ++i)
            if (A::extents[i] != dyn && B::extents[i] != dyn && A::extents[i] != B::extents[i]) return false;
        return true;
    }
}
// The shape both branches have: static where either knows the extent.
template <class A, class B>
constexpr auto merged_extents() {
    std::array<index_t, A::rank> e{};
    for (std::size_t i = 0; i < A::rank; ++i) e[i] = A::extents[i] == dyn ? B::extents[i] : A::extents[i];
    return e;
}

// 'tfx::detail::branches_agree<float, float, tfx::shape<3>, tfx::shape<4>>' is false: the two
// branches' element types and shapes, as cond got them.
template <class TA, class TB, class SA, class SB>
inline constexpr bool branches_agree = std::is_same_v<TA, TB> && extents_agree<SA, SB>();

}  // namespace detail

// The value of x when the predicate's truth is `when`, zeros otherwise; x is evaluated only then.
template <class P, class X>
struct gate_node : expr_base<typename X::value_type, typename X::shape_type> {
    using is_gate = void;
    using T = typename X::value_type;
    static constexpr std::size_t R = X::rank;
    static constexpr const char* name = "gate";
    P p;
    X x;
    bool when;
    gate_node(P p_, X x_, bool w) : p(std::move(p_)), x(std::move(x_)), when(w) {}
    auto children() const { return std::tie(p, x); }
    auto params() const { return std::tuple(when); }
    dims_t<R> dims() const { return x.dims(); }
    void eval_into(T* out, const dims_t<R>& d, detail::eval_ctx& ctx) const {
        if (detail::truth(p, ctx) == when)
            detail::eval_block(x, out, d, ctx);
        else
            std::fill_n(out, dims_size(d), T(0));
    }
    // The same gate over another expression (an adjoint further down the branch).
    template <class Y>
    auto over(Y&& y) const {
        return gate_node<P, node_t<Y>>(p, as_node(std::forward<Y>(y)), when);
    }
};

template <class P, class X, class G>
auto vjp(const gate_node<P, X>& e, const G& g) {
    return std::tuple{zero_t{}, e.over(g)};
}
template <class P, class X, class TP, class TX>
auto jvp(const gate_node<P, X>& e, const TP&, const TX& tx) {
    if constexpr (is_zero<TX>)
        return zero_t{};
    else
        return e.over(tx);
}

template <class P, class A, class B>
struct cond_node
    : expr_base<typename A::value_type,
                shape_of_array<detail::merged_extents<typename A::shape_type, typename B::shape_type>()>> {
    using T = typename A::value_type;
    using S = shape_of_array<detail::merged_extents<typename A::shape_type, typename B::shape_type>()>;
    static constexpr std::size_t R = A::rank;
    static constexpr const char* name = "cond";
    P p;
    A a;
    B b;
    cond_node(P p_, A a_, B b_) : p(std::move(p_)), a(std::move(a_)), b(std::move(b_)) {}
    auto children() const { return std::tie(p, a, b); }
    dims_t<R> dims() const {
        const auto da = a.dims();
        if constexpr (!(A::shape_type::is_static && B::shape_type::is_static)) {
            const auto db = b.dims();
            if (da != db)
                throw shape_error("tfx: cond: the branches' results have shapes " + shape_string(da) + " and " +
                                  shape_string(db) + "; they must agree");
        }
        return da;
    }
    void eval_into(T* out, const dims_t<R>& d, detail::eval_ctx& ctx) const {
        if (detail::truth(p, ctx))
            detail::eval_block(a, out, d, ctx);
        else
            detail::eval_block(b, out, d, ctx);
    }
};

namespace detail {
template <class X, class G>
auto adjoint_as(const X&, G&& g) {
    using N = node_t<G>;
    if constexpr (std::is_same_v<typename N::shape_type, typename X::shape_type>)
        return as_node(std::forward<G>(g));
    else
        return reshape_to_shape<typename X::shape_type>(std::forward<G>(g), g.dims());
}
template <class X, class Tg>
auto tangent_or_zeros(const X& x, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return broadcast_to_dims<typename X::shape_type>(scalar<typename X::value_type>(0), x.dims());
    else
        return adjoint_as(x, t);
}
}  // namespace detail

template <class P, class A, class B, class G>
auto vjp(const cond_node<P, A, B>& e, const G& g) {
    auto ga = detail::adjoint_as(e.a, g);
    auto gb = detail::adjoint_as(e.b, g);
    return std::tuple{zero_t{}, gate_node<P, decltype(ga)>(e.p, std::move(ga), true),
                      gate_node<P, decltype(gb)>(e.p, std::move(gb), false)};
}
template <class P, class A, class B, class TP, class TA, class TB>
auto jvp(const cond_node<P, A, B>& e, const TP&, const TA& ta, const TB& tb) {
    if constexpr (is_zero<TA> && is_zero<TB>) {
        return zero_t{};
    } else {
        auto x = detail::tangent_or_zeros(e.a, ta);
        auto y = detail::tangent_or_zeros(e.b, tb);
        return cond_node<P, decltype(x), decltype(y)>(e.p, std::move(x), std::move(y));
    }
}

namespace detail {

template <class X>
struct is_std_tuple : std::false_type {};
template <class... X>
struct is_std_tuple<std::tuple<X...>> : std::true_type {};
template <class X, class Y>
struct is_std_tuple<std::pair<X, Y>> : std::true_type {};

template <class P>
auto predicate_node(const P& pred) {
    if constexpr (std::is_arithmetic_v<P>) {
        return scalar<bool>(static_cast<bool>(pred));
    } else {
        static_assert(expression<P>, "tfx: cond: the predicate must be a bool or a rank-0 tensor or expression");
        using N = node_t<const P&>;
        static_assert(N::rank == 0, "tfx: cond: the predicate must be a scalar (rank 0) (its shape below)");
        return as_node(pred);
    }
}

template <class PN, class A, class B>
auto make_cond(const PN& p, A&& a, B&& b) {
    using NA = node_t<A>;
    using NB = node_t<B>;
    static_assert(branches_agree<typename NA::value_type, typename NB::value_type, typename NA::shape_type,
                                 typename NB::shape_type>,
                  "tfx: cond: the branches must return one element type and compatible shapes (both below)");
    if constexpr (branches_agree<typename NA::value_type, typename NB::value_type, typename NA::shape_type,
                                 typename NB::shape_type>)
        return cond_node<PN, NA, NB>(p, as_node(std::forward<A>(a)), as_node(std::forward<B>(b)));
    else
        return as_node(std::forward<A>(a));
}

}  // namespace detail

// cond(pred, then_fn, else_fn): then_fn() when pred is true, else_fn() otherwise. pred is a bool or
// a rank-0 expression (nonzero is true), evaluated when the result is. The branches take no
// arguments (they capture what they need) and return an expression or a tensor, or a std::tuple of
// them, the same structure from both; a tuple gives a tuple of results.
template <class P, class Then, class Else>
auto cond(const P& pred, Then then_fn, Else else_fn) {
    auto p = detail::predicate_node(pred);
    auto a = then_fn();
    auto b = else_fn();
    using RA = decltype(a);
    using RB = decltype(b);
    constexpr bool ta = detail::is_std_tuple<RA>::value, tb = detail::is_std_tuple<RB>::value;
    static_assert(ta == tb, "tfx: cond: one branch returns a tuple and the other does not");
    if constexpr (ta && tb) {
        static_assert(std::tuple_size_v<RA> == std::tuple_size_v<RB>,
                      "tfx: cond: the branches return tuples of different sizes");
        if constexpr (std::tuple_size_v<RA> == std::tuple_size_v<RB>)
            return [&]<std::size_t... K>(std::index_sequence<K...>) {
                return std::make_tuple(detail::make_cond(p, std::get<K>(std::move(a)), std::get<K>(std::move(b)))...);
            }(std::make_index_sequence<std::tuple_size_v<RA>>{});
    } else if constexpr (!ta && !tb) {
        return detail::make_cond(p, std::move(a), std::move(b));
    } else {
        return a;  // only the static_assert above is reported
    }
}

}  // namespace tfx
