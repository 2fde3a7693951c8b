#pragma once
// reshape<E...>(x): the same elements in row-major order under another shape (one extent may be
// dyn: it is inferred, as NumPy's -1). A reshaped tensor is read in place, without a copy.
// broadcast_to<E...>(x): x repeated along the axes where it has extent 1 (or lacks the axis).
#include "../eval/assign.hpp"

namespace tfx {

template <class S>
constexpr std::size_t count_dyn() {
    return S::n_dyn;
}

// 'tfx::reshape_compatible<tfx::shape<2, 3>, tfx::shape<4, 4> >' evaluates to false: the element
// counts differ (or more than one target extent is dyn, or a static count cannot be divided).
template <class From, class To>
inline constexpr bool reshape_compatible = [] {
    if constexpr (To::n_dyn > 1)
        return false;
    else if constexpr (!From::is_static)
        return true;
    else if constexpr (To::is_static)
        return From::static_size == To::static_size;
    else {
        std::size_t known = 1;
        for (auto e : To::extents)
            if (e != dyn) known *= std::size_t(e);
        return known != 0 && From::static_size % known == 0;
    }
}();

namespace detail {
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_reshape(std::span<const std::size_t> from, std::span<const std::size_t> to) {
    throw shape_error("tfx: reshape: cannot reshape " + shape_string(from) + " to " + shape_string(to));
}
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_reshape(std::span<const std::size_t> from, std::span<const index_t> to) {
    std::size_t n = 1;
    for (auto e : from) n *= e;
    throw shape_error("tfx: reshape: cannot reshape " + shape_string(from) + " (" + std::to_string(n) + " elements) to " +
                      extents_string(to));
}
}  // namespace detail

template <class S, class X>
struct reshape_node : expr_base<typename X::value_type, S> {
    using T = typename X::value_type;
    static constexpr const char* name = "reshape";
    X x;
    dims_t<S::rank> target{};  // explicit run-time extents (reshape_to), when has_target
    bool has_target = false;
    explicit reshape_node(X x_) : x(std::move(x_)) {}
    reshape_node(X x_, const dims_t<S::rank>& t) : x(std::move(x_)), target(t), has_target(true) {}
    auto children() const { return std::tie(x); }
    auto params() const { return std::tuple(has_target, target); }
    dims_t<S::rank> dims() const {
        const auto xd = x.dims();
        const std::size_t n = dims_size(xd);
        if (has_target) {
            if (dims_size(target) != n || !dims_fit<S>(target)) detail::throw_reshape(xd, target);
            return target;
        }
        dims_t<S::rank> r{};
        std::size_t known = 1, at = S::rank;
        for (std::size_t i = 0; i < S::rank; ++i) {
            if (S::extents[i] == dyn)
                at = i;
            else
                known *= (r[i] = std::size_t(S::extents[i]));
        }
        if (at < S::rank) r[at] = known ? n / known : 0;
        if (dims_size(r) != n) detail::throw_reshape(xd, S::extents);
        return r;
    }
    // The child is computed straight into the output: row-major order is all a reshape keeps.
    void eval_into(T* out, const dims_t<S::rank>&, detail::eval_ctx& ctx) const { detail::eval_block(x, out, x.dims(), ctx); }
};

template <index_t... E, expression X>
auto reshape(X&& x) {
    using N = node_t<X>;
    static_assert(reshape_compatible<typename N::shape_type, shape<E...>>,
                  "tfx: reshape: the element count must stay the same, with at most one dyn extent (shapes below)");
    return reshape_node<shape<E...>, N>(as_node(std::forward<X>(x)));
}

// reshape_to<E...>(x, dims): the target extents given at run time (any number of them dyn).
template <index_t... E, expression X>
auto reshape_to(X&& x, const dims_t<sizeof...(E)>& d) {
    using N = node_t<X>;
    return reshape_node<shape<E...>, N>(as_node(std::forward<X>(x)), d);
}
template <class S, class X>
auto reshape_to_shape(X&& x, const dims_t<S::rank>& d) {
    using N = node_t<X>;
    return reshape_node<S, N>(as_node(std::forward<X>(x)), d);
}

template <class S, class X>
struct bcast_node : expr_base<typename X::value_type, S> {
    static constexpr const char* name = "broadcast_to";
    X x;
    dims_t<S::rank> target;
    bcast_node(X x_, const dims_t<S::rank>& t) : x(std::move(x_)), target(t) {}
    auto params() const { return target; }
    auto children() const { return std::tie(x); }
    dims_t<S::rank> dims() const {
        const auto xd = x.dims();
        if (broadcast_dims("broadcast_to", xd, target) != target)
            throw shape_error("tfx: broadcast_to: cannot broadcast " + shape_string(xd) + " to " + shape_string(target));
        return target;
    }
};

// broadcast_to with the whole target given at run time (the static shape S still applies).
template <class S, class X>
auto broadcast_to_dims(X&& x, const dims_t<S::rank>& d) {
    using N = node_t<X>;
    return bcast_node<S, N>(as_node(std::forward<X>(x)), d);
}

template <class To, class From>
inline constexpr bool broadcastable_to = From::rank <= To::rank && [] {
    if constexpr (From::rank > To::rank)
        return false;
    else {
        for (std::size_t i = 0; i < From::rank; ++i) {
            index_t f = From::extents[From::rank - 1 - i], t = To::extents[To::rank - 1 - i];
            if (!(f == t || f == 1 || f == dyn || t == dyn)) return false;
        }
        return true;
    }
}();

// broadcast_to<4, 3>(x), or with the dynamic extents given: broadcast_to<dyn, 3>(x, n).
template <index_t... E, expression X, std::integral... N>
    requires(sizeof...(N) == shape<E...>::n_dyn)
auto broadcast_to(X&& x, N... n) {
    using NX = node_t<X>;
    using S = shape<E...>;
    static_assert(broadcastable_to<S, typename NX::shape_type>,
                  "tfx: broadcast_to: x cannot be broadcast to the target shape (target and x below)");
    std::array<std::size_t, sizeof...(N) + 1> dv{std::size_t(n)..., 0};
    dims_t<S::rank> t{};
    std::size_t j = 0;
    for (std::size_t i = 0; i < S::rank; ++i) t[i] = S::extents[i] == dyn ? dv[j++] : std::size_t(S::extents[i]);
    return bcast_node<S, NX>(as_node(std::forward<X>(x)), t);
}

template <class S, class X>
struct is_elementwise_node<bcast_node<S, X>> : std::true_type {};
template <class S, class T>
struct is_one<bcast_node<S, unit<T>>> : std::true_type {};

namespace detail {
// broadcast_to: the child's evaluator under the larger shape (the broadcast happens in bind).
template <class S, class X, std::size_t R>
struct evaluator<bcast_node<S, X>, R> : evaluator<X, R> {
    dims_t<S::rank> dims;
    evaluator(const bcast_node<S, X>& e, eval_ctx& ctx) : evaluator<X, R>(e.x, ctx), dims(e.dims()) {}
};
// A reshaped leaf is read in place.
template <class S, class X, std::size_t R>
struct evaluator<reshape_node<S, X>, R, std::enable_if_t<is_leaf<X>::value>>
    : strided_eval<typename X::value_type, S::rank, R, bcast_inner<S>> {
    evaluator(const reshape_node<S, X>& e, eval_ctx&) {
        this->base = e.x.data();
        this->dims = e.dims();
    }
};
template <class X>
struct is_reshape : std::false_type {};
template <class S, class X>
struct is_reshape<reshape_node<S, X>> : std::true_type {};
// A reshaped kernel node is read in place from the node's own buffer (its kernel's output, found
// or kept like any kernel result): not copied, and not computed a second time when the node is
// also read elsewhere unreshaped (a reduction's value and the gradient that broadcasts it back).
template <class S, class X, std::size_t R>
struct evaluator<reshape_node<S, X>, R, std::enable_if_t<!is_elementwise_node<X>::value && !is_reshape<X>::value>>
    : strided_eval<typename X::value_type, S::rank, R, bcast_inner<S>> {
    using base_eval = strided_eval<typename X::value_type, S::rank, R, bcast_inner<S>>;
    evaluator<X, X::rank> child;
    evaluator(const reshape_node<S, X>& e, eval_ctx& ctx) : child(e.x, ctx) { this->dims = e.dims(); }
    // The child's buffer may be inline storage that moved with this evaluator: its address now.
    void bind(const dims_t<R>& out) {
        this->base = child.fused ? child.fused : child.buf.data();
        base_eval::bind(out);
    }
};
}  // namespace detail

}  // namespace tfx
