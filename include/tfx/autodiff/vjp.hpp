#pragma once
// Vector-Jacobian products: for every node, the adjoints of its children as expressions of the
// node's adjoint g and the forward children. Elementwise rules (vjp_rule<Op>, in the order of the
// op table in expr/ops.hpp) give adjoints of the node's shape; broadcasting is undone by
// unbroadcast (a sum over the broadcast axes). No gradient is the type zero_t, which folds away.
#include <numbers>

#include "../expr/concat.hpp"
#include "../expr/matmul.hpp"
#include "../expr/reshape.hpp"
#include "adjoint_ops.hpp"
#include "stop_gradient.hpp"

namespace tfx {

struct zero_t {};
template <class T>
inline constexpr bool is_zero = std::is_same_v<std::remove_cvref_t<T>, zero_t>;

// a + b with zero_t folded away, and pads of slices of one tensor along one axis merged.
template <class A, class B>
auto add_adjoint(A&& a, B&& b) {
    if constexpr (is_zero<A>)
        return std::forward<B>(b);
    else if constexpr (is_zero<B>)
        return std::forward<A>(a);
    else if constexpr (detail::mergeable_pads<std::remove_cvref_t<A>, std::remove_cvref_t<B>>)
        return detail::merge_pads(std::forward<A>(a), std::forward<B>(b));  // one pad_sum, not a sum of zero-filled pads
    else
        return std::forward<A>(a) + std::forward<B>(b);
}

template <class Op>
struct vjp_rule;

// Which operands' adjoints a caller needs: a rule of more than one operand takes needs<N...> first
// and builds only those (the others are zero_t). Nothing asks for a constant's; the traced reverse
// pass asks for one operand at a time (pull_child). Adjoints are rebuilt at every call, so one
// that would be thrown away is copying for nothing.
template <bool... N>
struct needs {};
template <bool N, class F>
auto if_needed(F&& f) {
    if constexpr (N)
        return f();
    else
        return zero_t{};
}

// Constants have no gradient.
template <class E>
inline constexpr bool is_scalar_node = false;
template <class T>
inline constexpr bool is_scalar_node<scalar<T>> = true;

namespace rules {
using std::tuple;
inline constexpr double two_over_sqrt_pi = 1.12837916709551257390;
inline constexpr double inv_sqrt_2pi = 0.39894228040143267794;
}  // namespace rules

namespace detail {
// An op's output y = op(x) in a rule written with it (exp: y; tanh: 1 - y²; sigmoid: y (1 - y);
// relu's mask y > 0). When x holds kernels, y is a forward_value (stop_gradient.hpp): read where
// the call has stored it (the activation, kept as the next product's operand), else computed
// inline. A purely elementwise y is left as it is: it is computed inline either way.
template <class Y>
auto output_of(Y y) {
    if constexpr (is_pure_elementwise<Y>)
        return y;
    else
        return forward_value(std::move(y));
}
}  // namespace detail

// ---- arithmetic
template <>
struct vjp_rule<ops::add> {
    template <bool NX, bool NY, class G, class X, class Y>
    static auto apply(needs<NX, NY>, const G& g, const X&, const Y&) {
        return std::tuple{if_needed<NX>([&] { return g; }), if_needed<NY>([&] { return g; })};
    }
};
template <>
struct vjp_rule<ops::sub> {
    template <bool NX, bool NY, class G, class X, class Y>
    static auto apply(needs<NX, NY>, const G& g, const X&, const Y&) {
        return std::tuple{if_needed<NX>([&] { return g; }), if_needed<NY>([&] { return -g; })};
    }
};
template <>
struct vjp_rule<ops::mul> {
    template <bool NX, bool NY, class G, class X, class Y>
    static auto apply(needs<NX, NY>, const G& g, const X& x, const Y& y) {
        return std::tuple{if_needed<NX>([&] { return g * y; }), if_needed<NY>([&] { return g * x; })};
    }
};
template <>
struct vjp_rule<ops::div> {
    template <bool NX, bool NY, class G, class X, class Y>
    static auto apply(needs<NX, NY>, const G& g, const X& x, const Y& y) {
        return std::tuple{if_needed<NX>([&] { return g / y; }), if_needed<NY>([&] { return -(g * x) / square(y); })};
    }
};
template <>
struct vjp_rule<ops::neg> {
    template <class G, class X>
    static auto apply(const G& g, const X&) { return std::tuple{-g}; }
};
// Ties go to the first operand, as TensorFlow's maximum/minimum gradients do.
template <>
struct vjp_rule<ops::maximum> {
    template <bool NX, bool NY, class G, class X, class Y>
    static auto apply(needs<NX, NY>, const G& g, const X& x, const Y& y) {
        return std::tuple{if_needed<NX>([&] { return where(x >= y, g, 0); }), if_needed<NY>([&] { return where(x >= y, 0, g); })};
    }
};
template <>
struct vjp_rule<ops::minimum> {
    template <bool NX, bool NY, class G, class X, class Y>
    static auto apply(needs<NX, NY>, const G& g, const X& x, const Y& y) {
        return std::tuple{if_needed<NX>([&] { return where(x <= y, g, 0); }), if_needed<NY>([&] { return where(x <= y, 0, g); })};
    }
};
template <>
struct vjp_rule<ops::clip> {
    template <bool NX, bool NL, bool NH, class G, class X, class L, class H>
    static auto apply(needs<NX, NL, NH>, const G& g, const X& x, const L& lo, const H& hi) {
        return std::tuple{if_needed<NX>([&] { return where(x < lo, 0, where(x > hi, 0, g)); }),
                          if_needed<NL>([&] { return where(x < lo, g, 0); }), if_needed<NH>([&] { return where(x > hi, g, 0); })};
    }
};
template <>
struct vjp_rule<ops::square> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) { return std::tuple{g * x * 2}; }
};
template <>
struct vjp_rule<ops::abs> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) { return std::tuple{where(x > 0, g, where(x < 0, -g, 0))}; }
};
// ---- comparisons: no gradient
template <class Op>
    requires(Op::predicate)
struct vjp_rule<Op> {
    template <class G, class X, class Y>
    static auto apply(const G&, const X&, const Y&) { return std::tuple{zero_t{}, zero_t{}}; }
};
template <>
struct vjp_rule<ops::where> {
    template <bool NC, bool NX, bool NY, class G, class C, class X, class Y>
    static auto apply(needs<NC, NX, NY>, const G& g, const C& c, const X&, const Y&) {
        return std::tuple{zero_t{}, if_needed<NX>([&] { return where(c, g, 0); }), if_needed<NY>([&] { return where(c, 0, g); })};
    }
};
template <class U>
struct vjp_rule<ops::cast<U>> {
    template <class G, class X>
    static auto apply(const G& g, const X&) {
        using S = typename X::value_type;
        if constexpr (std::is_floating_point_v<S> && std::is_floating_point_v<U>)
            return std::tuple{cast<S>(g)};
        else
            return std::tuple{zero_t{}};  // integers and bools have no gradient
    }
};
// ---- floating-point functions
template <>
struct vjp_rule<ops::exp> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) { return std::tuple{g * detail::output_of(exp(x))}; }
};
template <>
struct vjp_rule<ops::log> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) { return std::tuple{g / x}; }
};
template <>
struct vjp_rule<ops::log1p> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) { return std::tuple{g / (x + 1)}; }
};
template <>
struct vjp_rule<ops::expm1> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) { return std::tuple{g * exp(x)}; }
};
template <>
struct vjp_rule<ops::sqrt> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) { return std::tuple{g * 0.5 / sqrt(x)}; }
};
template <>
struct vjp_rule<ops::rsqrt> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) { return std::tuple{g * -0.5 * rsqrt(x) / x}; }
};
// d/da a^b = b a^(b-1); d/db a^b = log(a) a^b, taken as 0 where a <= 0 (as TensorFlow does).
template <>
struct vjp_rule<ops::pow> {
    template <bool NA, bool NB, class G, class X, class Y>
    static auto apply(needs<NA, NB>, const G& g, const X& a, const Y& b) {
        return std::tuple{if_needed<NA>([&] { return g * b * pow(a, b - 1); }),
                          if_needed<NB>([&] { return g * where(a > 0, log(where(a > 0, a, 1)), 0) * pow(a, b); })};
    }
};
template <>
struct vjp_rule<ops::sin> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) { return std::tuple{g * cos(x)}; }
};
template <>
struct vjp_rule<ops::cos> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) { return std::tuple{-g * sin(x)}; }
};
template <>
struct vjp_rule<ops::tanh> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) { return std::tuple{g * (1 - square(detail::output_of(tanh(x))))}; }
};
template <>
struct vjp_rule<ops::erf> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) { return std::tuple{g * rules::two_over_sqrt_pi * exp(-square(x))}; }
};
template <>
struct vjp_rule<ops::sigmoid> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) {
        const auto s = detail::output_of(sigmoid(x));
        return std::tuple{g * s * (1 - s)};
    }
};
// The mask x > 0. When x has kernels in it (relu(matmul + bias)), the mask is relu(x) > 0 (the same
// mask, NaN included) with relu(x) an output_of: where the forward pass has stored relu(x) (the
// next product's operand) it is read there, and the pre-activation product need not be kept for
// the backward pass (it was copied into a buffer of its own, then read with the bias again).
template <>
struct vjp_rule<ops::relu> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) {
        if constexpr (is_pure_elementwise<X>)
            return std::tuple{where(x > 0, g, 0)};
        else
            return std::tuple{where(detail::output_of(relu(x)) > 0, g, 0)};
    }
};
template <>
struct vjp_rule<ops::leaky_relu> {
    template <class G, class X, class A>
    static auto apply(const G& g, const X& x, const A& alpha) { return std::tuple{where(x > 0, g, g * alpha), zero_t{}}; }
};
template <>
struct vjp_rule<ops::elu> {
    template <class G, class X, class A>
    static auto apply(const G& g, const X& x, const A& alpha) { return std::tuple{where(x > 0, g, g * alpha * exp(x)), zero_t{}}; }
};
template <>
struct vjp_rule<ops::gelu> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) {
        return std::tuple{g * ((erf(x * 0.70710678118654752440) + 1) * 0.5 + x * rules::inv_sqrt_2pi * exp(square(x) * -0.5))};
    }
};
template <>
struct vjp_rule<ops::softplus> {
    template <class G, class X>
    static auto apply(const G& g, const X& x) { return std::tuple{g * sigmoid(x)}; }
};

// ---- per node type: vjp(node, g) -> tuple of child adjoints (children() order)

namespace detail {
// A rule's adjoints for the operands marked in n (all of them from a rule of one operand).
template <class Op, bool... N, class G, class... A>
auto rule_adjoints(needs<N...> n, const G& g, const A&... a) {
    if constexpr (requires { vjp_rule<Op>::apply(n, g, a...); })
        return vjp_rule<Op>::apply(n, g, a...);
    else
        return vjp_rule<Op>::apply(g, a...);
}

template <std::size_t I, class Raw, class Args>
auto map_child_adjoint(Raw& raw, const Args& args) {
    using R = std::tuple_element_t<I, Raw>;
    using A = std::tuple_element_t<I, Args>;
    if constexpr (is_zero<R> || is_scalar_node<A>)
        return zero_t{};
    else
        return unbroadcast(std::move(std::get<I>(raw)), std::get<I>(args));
}
template <class Raw, class Args, std::size_t... I>
auto map_adjoints(Raw& raw, const Args& args, std::index_sequence<I...>) {
    return std::tuple{map_child_adjoint<I>(raw, args)...};
}
}  // namespace detail

template <class Op, class... A, class G>
auto vjp(const map<Op, A...>& e, const G& g) {
    auto raw = std::apply([&](const auto&... a) { return detail::rule_adjoints<Op>(needs<!is_scalar_node<A>...>{}, g, a...); }, e.args);
    return detail::map_adjoints(raw, e.args, std::index_sequence_for<A...>{});
}
// The adjoint of operand C alone.
template <std::size_t C, class Op, class... A, class G>
auto vjp_child(const map<Op, A...>& e, const G& g) {
    auto raw = [&]<std::size_t... I>(std::index_sequence<I...>) {
        return detail::rule_adjoints<Op>(needs<(I == C && !is_scalar_node<A>)...>{}, g, std::get<I>(e.args)...);
    }(std::index_sequence_for<A...>{});
    return detail::map_child_adjoint<C>(raw, e.args);
}

namespace detail {
// d prod(x) / d x_i: the product of the other elements of x_i's slice, exact where x_i is 0 (as
// TensorFlow gives it), not prod / x_i.
template <unsigned Mask, class X>
auto prod_partials(const X& x) {
    using T = typename X::value_type;
    using S = typename X::shape_type;
    const auto xd = x.dims();
    auto is_zero_x = cast<T>(x == 0);
    auto zeros = broadcast_to_dims<S>(reduce_node<kernels::red_sum, Mask, true, decltype(is_zero_x)>(is_zero_x), xd);
    auto nonzero = where(x == 0, 1, x);
    auto nz = broadcast_to_dims<S>(reduce_node<kernels::red_prod, Mask, true, decltype(nonzero)>(nonzero), xd);
    return where(zeros == 0, nz / where(x == 0, 1, x), where(x == 0, where(zeros == 1, nz, 0), 0));
}

template <std::size_t R, class X>
auto transpose_last2(const X& x) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return permute<(I + 2 < R ? int(I) : (I == R - 2 ? int(R - 1) : int(R - 2)))...>(x);
    }(std::make_index_sequence<R>{});
}
}  // namespace detail

template <class K, unsigned Mask, bool Keep, class X, class G>
auto vjp(const reduce_node<K, Mask, Keep, X>& e, const G& g) {
    using T = typename X::value_type;
    const X& x = e.x;
    if constexpr (std::is_same_v<K, kernels::red_sum>) {
        return std::tuple{detail::expand_reduced<Mask, Keep>(g, x)};
    } else if constexpr (std::is_same_v<K, kernels::red_mean>) {
        const auto xd = x.dims();
        std::size_t count = 1;
        for (std::size_t k = 0; k < X::rank; ++k)
            if ((Mask >> k) & 1u) count *= xd[k];
        if constexpr (G::rank == 0)  // one division, and the adjoint stays a broadcast scalar
            return std::tuple{detail::expand_reduced<Mask, Keep>(g / T(count), x)};
        else
            return std::tuple{detail::expand_reduced<Mask, Keep>(g, x) / T(count)};
    } else if constexpr (std::is_same_v<K, kernels::red_max> || std::is_same_v<K, kernels::red_min>) {
        // Ties share the gradient equally, as in TensorFlow. The extremes are e itself, reshaped
        // (not a keepdims reduction of its own, which reverse mode would compute a second time).
        const auto xd = x.dims();
        auto m = detail::expand_reduced<Mask, Keep>(e, x);
        auto hit = cast<T>(x == m);
        auto count = broadcast_to_dims<typename X::shape_type>(reduce_node<kernels::red_sum, Mask, true, decltype(hit)>(hit), xd);
        return std::tuple{hit * detail::expand_reduced<Mask, Keep>(g, x) / count};
    } else if constexpr (std::is_same_v<K, kernels::red_prod>) {
        return std::tuple{detail::expand_reduced<Mask, Keep>(g, x) * detail::prod_partials<Mask>(x)};
    } else {  // logsumexp: the softmax over the reduced axes, from e's own value, read where e's
              // kernel stored it (expr/reduce.hpp)
        using softmax_node = detail::lse_softmax_node<reduce_node<K, Mask, Keep, X>>;
        return std::tuple{detail::expand_reduced<Mask, Keep>(g, x) * softmax_node(e.softmax())};
    }
}

template <bool Max, int Axis, class X, class G>
auto vjp(const arg_node<Max, Axis, X>&, const G&) {
    return std::tuple{zero_t{}};
}

template <bool Log, int Axis, class X, class G>
auto vjp(const softmax_node<Log, Axis, X>& e, const G& g) {
    constexpr auto mask = softmax_node<Log, Axis, X>::mask;
    const auto xd = e.x.dims();
    if constexpr (Log) {  // g - softmax(x) * sum(g)
        auto sg = broadcast_to_dims<typename X::shape_type>(reduce_node<kernels::red_sum, mask, true, G>(g), xd);
        return std::tuple{g - exp(e) * sg};
    } else {  // y * (g - sum(g * y))
        auto gy = g * e;
        auto s = broadcast_to_dims<typename X::shape_type>(reduce_node<kernels::red_sum, mask, true, decltype(gy)>(gy), xd);
        return std::tuple{e * (g - s)};
    }
}

// The adjoint of operand C alone (the other operand's is not built): g @ bT for a, aT @ g for b,
// their transposes absorbed by the GEMM's packing. A cotangent that is one value c everywhere (a
// full sum's or mean's adjoint): every row of g @ bT is c times b's row sums, every column of
// aT @ g c times a's column sums; a reduction in place of a product.
template <std::size_t C, class A, class B, class G>
auto vjp_child(const matmul_node<A, B>& e, const G& g) {
    if constexpr (detail::is_bcast_of_scalar<G>::value && A::rank == 2 && B::rank == 2) {
        using SA = typename A::shape_type;
        const auto ad = e.a.dims();
        if constexpr (C == 0)
            return broadcast_to_dims<SA>(g.x * sum<1>(e.b), ad);
        else
            return broadcast_to_dims<typename B::shape_type>(
                reshape_to_shape<shape<SA::extents[1], 1>>(g.x * sum<0>(e.a), dims_t<2>{ad[1], 1}), e.b.dims());
    } else if constexpr (C == 0) {
        return unbroadcast(matmul(g, detail::transpose_last2<B::rank>(e.b)), e.a);
    } else {
        return unbroadcast(matmul(detail::transpose_last2<A::rank>(e.a), g), e.b);
    }
}

template <class A, class B, class G>
auto vjp(const matmul_node<A, B>& e, const G& g) {
    return std::tuple{vjp_child<0>(e, g), vjp_child<1>(e, g)};
}

template <class X, int... P, class G>
auto vjp(const permute_node<X, P...>&, const G& g) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        constexpr auto inv = [] {
            constexpr std::array<int, sizeof...(P)> p{P...};
            std::array<int, sizeof...(P)> q{};
            for (std::size_t i = 0; i < sizeof...(P); ++i) q[std::size_t(p[i])] = int(i);
            return q;
        }();
        return std::tuple{permute<inv[I]...>(g)};
    }(std::make_index_sequence<sizeof...(P)>{});
}

template <class S, class X, class G>
auto vjp(const reshape_node<S, X>& e, const G& g) {
    return std::tuple{reshape_to_shape<typename X::shape_type>(g, e.x.dims())};
}

template <class S, class X, class G>
auto vjp(const bcast_node<S, X>& e, const G& g) {
    return std::tuple{sum_to_node<typename X::shape_type, node_t<const G&>>(as_node(g), e.x.dims())};
}

template <int Axis, class... X, class G>
auto vjp(const concat_node<Axis, X...>& e, const G& g) {
    constexpr std::size_t ax = concat_node<Axis, X...>::ax;
    std::size_t offset = 0;
    return std::apply(
        [&](const auto&... x) {
            return std::tuple{[&] {
                const std::size_t len = x.dims()[ax];
                auto s = slice<Axis>(g, offset, len);
                offset += len;
                return s;
            }()...};
        },
        e.xs);
}

template <int Axis, int BatchDims, class X, class I, class G>
auto vjp(const gather_node<Axis, BatchDims, X, I>& e, const G& g) {
    return std::tuple{scatter_add_node<Axis, BatchDims, X, I, node_t<const G&>>(e.x.dims(), e.idx, as_node(g)), zero_t{}};
}

template <int Axis, index_t Size, class X, index_t Begin, class G>
auto vjp(const slice_node<Axis, Size, X, Begin>& e, const G& g) {
    return std::tuple{pad_node<Axis, typename X::shape_type, node_t<const G&>>(e.x.dims(), e.begin, as_node(g))};
}

template <class S, class G2, class G>
auto vjp(const sum_to_node<S, G2>& e, const G& g) {
    return std::tuple{broadcast_to_dims<typename G2::shape_type>(g, e.g.dims())};
}

}  // namespace tfx

namespace tfx::detail {
// The adjoints of e's children for the adjoint g, as reverse mode pushes them. A gated adjoint (the
// adjoint of a cond branch: g when the branch was taken, zeros otherwise) stays gated below: each
// child's adjoint is gated the same way, so a branch's backward chain runs only if it was taken.
template <class E, class G>
auto pull(const E& e, const G& g);

// The adjoint of e's child C alone, as pull(e, g)'s C-th (node types with a vjp_child build only it).
template <std::size_t C, class E, class G>
auto pull_child(const E& e, const G& g) {
    if constexpr (requires { typename G::is_gate; }) {
        auto a = pull_child<C>(e, g.x);
        if constexpr (is_zero<decltype(a)>)
            return zero_t{};
        else
            return g.over(std::move(a));
    } else if constexpr (requires { vjp_child<C>(e, g); }) {
        return vjp_child<C>(e, g);
    } else {
        auto all = vjp(e, g);
        return std::get<C>(std::move(all));
    }
}

template <class E, class G>
auto pull(const E& e, const G& g) {
    if constexpr (requires { typename G::is_gate; }) {
        auto r = pull(e, g.x);
        return std::apply(
            [&](auto&&... a) {
                return std::make_tuple([&]() {
                    if constexpr (is_zero<decltype(a)>)
                        return zero_t{};
                    else
                        return g.over(std::move(a));
                }()...);
            },
            std::move(r));
    } else {
        return vjp(e, g);
    }
}
}  // namespace tfx::detail
