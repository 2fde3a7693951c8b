#pragma once
// Kernel nodes that only gradients need: sum_to (the adjoint of a broadcast: sum over the axes
// that were broadcast), scatter_add (of gather), pad (of slice) and pad_sum (of several slices).
#include <algorithm>

#include "../expr/gather.hpp"
#include "../expr/reduce.hpp"

namespace tfx {

// Sum g down to the shape target: over g's leading axes that target lacks, and over the axes where
// target has extent 1 and g does not.
template <class S, class G>
struct sum_to_node : expr_base<typename G::value_type, S> {
    using T = typename G::value_type;
    static constexpr std::size_t R = S::rank, RG = G::rank;
    static constexpr const char* name = "sum_to";
    G g;
    dims_t<R> target;
    sum_to_node(G g_, const dims_t<R>& t) : g(std::move(g_)), target(t) {}
    auto children() const { return std::tie(g); }
    auto params() const { return target; }
    dims_t<R> dims() const {
        const auto gd = g.dims();
        if (broadcast_dims("sum_to", target, gd) != gd)
            throw shape_error("tfx: sum_to: " + shape_string(gd) + " is not a broadcast of " + shape_string(target));
        return target;
    }
    void eval_into(T* out, const dims_t<R>&, detail::eval_ctx& outer) const {
        detail::eval_ctx ctx{nullptr, nullptr, outer.ws, outer.persistent};
        detail::with_operand(g, ctx, [&](const auto& y) {
            detail::evaluator<std::remove_cvref_t<decltype(y)>, RG> ev(y, ctx);
            const auto gd = ev.dims;
            std::array<bool, RG> mask{};
            for (std::size_t k = 0; k < RG; ++k) {
                if (k < RG - R)
                    mask[k] = true;
                else
                    mask[k] = target[k - (RG - R)] == 1 && gd[k] != 1;
            }
            detail::with_loop_form(ev, gd, [&](auto& lf) { kernels::reduce<kernels::red_sum, T>(out, gd, mask, lf); });
        });
    }
};

// The adjoint of g broadcast from the shape of child: g itself when the static shapes agree (the
// run-time extents were checked when the gradient was built), a sum otherwise.
template <class Child, class G>
auto unbroadcast(G&& g, const Child& child) {
    using GN = node_t<G>;
    using SC = typename Child::shape_type;
    if constexpr (std::is_same_v<typename GN::shape_type, SC>) {
        if (g.dims() != child.dims())
            throw shape_error("tfx: gradient: a dynamic extent of 1 was broadcast to " + shape_string(g.dims()) +
                              " at run time; give the extent 1 statically to differentiate through it");
        return as_node(std::forward<G>(g));
    } else {
        return sum_to_node<SC, GN>(as_node(std::forward<G>(g)), child.dims());
    }
}

// out = zeros of x's shape, then g's slices added at the gathered positions (repeated indices add).
template <int Axis, int BatchDims, class X, class I, class G>
struct scatter_add_node : expr_base<typename X::value_type, typename X::shape_type> {
    using T = typename X::value_type;
    static constexpr std::size_t RX = X::rank, RI = I::rank, ax = normalize_axis<RX>(Axis), BD = std::size_t(BatchDims);
    static constexpr const char* name = "scatter_add";
    dims_t<RX> xd;
    I idx;
    G g;
    scatter_add_node(const dims_t<RX>& d, I i, G g_) : xd(d), idx(std::move(i)), g(std::move(g_)) {}
    auto children() const { return std::tie(idx, g); }
    auto params() const { return xd; }
    dims_t<RX> dims() const { return xd; }
    void eval_into(T* out, const dims_t<RX>&, detail::eval_ctx& ctx) const {
        const auto mi = detail::materialize_if_leafless(idx, ctx);
        const auto mg = detail::materialize_if_leafless(g, ctx);
        const auto id = mi.dims();
        std::size_t batch = 1, pre = 1, post = 1, ni = 1;
        for (std::size_t k = 0; k < BD; ++k) batch *= xd[k];
        for (std::size_t k = BD; k < ax; ++k) pre *= xd[k];
        for (std::size_t k = ax + 1; k < RX; ++k) post *= xd[k];
        for (std::size_t k = BD; k < RI; ++k) ni *= id[k];
        const std::size_t len = xd[ax];
        std::fill(out, out + dims_size(xd), T(0));
        const auto* ip = mi.data();
        const T* src = mg.data();
        for (std::size_t b = 0; b < batch; ++b)
            for (std::size_t p = 0; p < pre; ++p)
                for (std::size_t j = 0; j < ni; ++j) {
                    // The forward gather checks its indices, but a gradient need not evaluate it.
                    const std::size_t row = std::size_t(ip[b * ni + j]);
                    if (row >= len)
                        throw value_error("tfx: gather (gradient): index " + std::to_string(ip[b * ni + j]) +
                                          " is out of range for an axis of extent " + std::to_string(len));
                    T* to = out + ((b * pre + p) * len + row) * post;
                    const T* from = src + ((b * pre + p) * ni + j) * post;
                    for (std::size_t q = 0; q < post; ++q) to[q] += from[q];
                }
    }
};

// out = zeros of shape xd with g placed at [begin, begin + extent of g) along Axis.
template <int Axis, class S, class G>
struct pad_node : expr_base<typename G::value_type, S> {
    using T = typename G::value_type;
    static constexpr std::size_t R = S::rank, ax = normalize_axis<R>(Axis);
    static constexpr const char* name = "pad";
    dims_t<R> xd;
    std::size_t begin;
    G g;
    pad_node(const dims_t<R>& d, std::size_t b, G g_) : xd(d), begin(b), g(std::move(g_)) {}
    auto children() const { return std::tie(g); }
    auto params() const { return std::tuple(xd, begin); }
    dims_t<R> dims() const { return xd; }
    void eval_into(T* out, const dims_t<R>&, detail::eval_ctx& ctx) const {
        const auto mg = detail::materialize_if_leafless(g, ctx);
        const auto gd = mg.dims();
        std::size_t outer = 1, inner = 1;
        for (std::size_t k = 0; k < ax; ++k) outer *= xd[k];
        for (std::size_t k = ax + 1; k < R; ++k) inner *= xd[k];
        std::fill(out, out + dims_size(xd), T(0));
        const T* src = mg.data();
        for (std::size_t o = 0; o < outer; ++o)
            std::copy(src + o * gd[ax] * inner, src + (o + 1) * gd[ax] * inner, out + (o * xd[ax] + begin) * inner);
    }
};

// The sum of pads of one shape along one axis: the adjoint of x from several of its slices (an
// LSTM's four gates, the parts of a split). Each part is written once; the output is zero-filled
// only when the parts do not tile the axis, and added into only where they overlap. (The sum of
// separate pad_nodes filled and added a whole output per part.)
template <int Axis, class S, class... G>
struct pad_sum_node : expr_base<typename std::tuple_element_t<0, std::tuple<G...>>::value_type, S> {
    using T = typename std::tuple_element_t<0, std::tuple<G...>>::value_type;
    static constexpr std::size_t R = S::rank, ax = normalize_axis<R>(Axis), N = sizeof...(G);
    static constexpr const char* name = "pad_sum";
    dims_t<R> xd;
    std::array<std::size_t, N> begins;
    std::tuple<G...> gs;
    pad_sum_node(const dims_t<R>& d, const std::array<std::size_t, N>& b, std::tuple<G...> g) : xd(d), begins(b), gs(std::move(g)) {}
    auto children() const {
        return std::apply([](const auto&... g) { return std::tie(g...); }, gs);
    }
    auto params() const { return std::tuple(xd, begins); }
    dims_t<R> dims() const { return xd; }
    void eval_into(T* out, const dims_t<R>&, detail::eval_ctx& ctx) const {
        std::size_t outer = 1, inner = 1;
        for (std::size_t k = 0; k < ax; ++k) outer *= xd[k];
        for (std::size_t k = ax + 1; k < R; ++k) inner *= xd[k];
        std::array<std::size_t, N> len{};
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            ((len[K] = std::get<K>(gs).dims()[ax]), ...);
        }(std::make_index_sequence<N>{});
        // Do the parts tile [0, xd[ax]) (each position covered exactly once)?
        std::array<std::size_t, N> order{};
        for (std::size_t k = 0; k < N; ++k) order[k] = k;
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return begins[a] < begins[b]; });
        std::size_t end = 0;
        bool tiles = true;
        for (std::size_t k : order) {
            tiles = tiles && begins[k] == end;
            end = begins[k] + len[k];
        }
        tiles = tiles && end == xd[ax];
        if (!tiles) std::fill(out, out + dims_size(xd), T(0));
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            (
                [&] {
                    const auto m = detail::materialize_if_leafless(std::get<K>(gs), ctx);
                    const std::size_t n = len[K] * inner;
                    const T* src = m.data();
                    for (std::size_t o = 0; o < outer; ++o) {
                        T* to = out + (o * xd[ax] + begins[K]) * inner;
                        const T* from = src + o * n;
                        if (tiles)
                            std::copy(from, from + n, to);
                        else
                            for (std::size_t i = 0; i < n; ++i) to[i] += from[i];
                    }
                }(),
                ...);
        }(std::make_index_sequence<N>{});
    }
};

namespace detail {
// A pad_node or a pad_sum_node seen as (axis, shape, parts).
template <class E>
struct pad_parts {
    static constexpr bool value = false;
};
template <int Axis, class S, class G>
struct pad_parts<pad_node<Axis, S, G>> {
    static constexpr bool value = true;
    static constexpr int axis = Axis;
    using shape = S;
    using value_type = typename G::value_type;
    static auto dims(const pad_node<Axis, S, G>& e) { return e.xd; }
    static auto begins(const pad_node<Axis, S, G>& e) { return std::array<std::size_t, 1>{e.begin}; }
    template <class E>
    static auto parts(E&& e) {
        return std::tuple<G>(std::forward<E>(e).g);
    }
};
template <int Axis, class S, class... G>
struct pad_parts<pad_sum_node<Axis, S, G...>> {
    static constexpr bool value = true;
    static constexpr int axis = Axis;
    using shape = S;
    using value_type = typename pad_sum_node<Axis, S, G...>::T;
    static auto dims(const pad_sum_node<Axis, S, G...>& e) { return e.xd; }
    static auto begins(const pad_sum_node<Axis, S, G...>& e) { return e.begins; }
    template <class E>
    static auto parts(E&& e) {
        return std::forward<E>(e).gs;
    }
};
template <class A, class B>
concept mergeable_pads = requires {
    requires pad_parts<A>::value && pad_parts<B>::value;
    requires pad_parts<A>::axis == pad_parts<B>::axis;
    requires std::is_same_v<typename pad_parts<A>::shape, typename pad_parts<B>::shape>;
    requires std::is_same_v<typename pad_parts<A>::value_type, typename pad_parts<B>::value_type>;
};
template <std::size_t N, std::size_t M>
std::array<std::size_t, N + M> join_begins(const std::array<std::size_t, N>& a, const std::array<std::size_t, M>& b) {
    std::array<std::size_t, N + M> r{};
    std::copy(a.begin(), a.end(), r.begin());
    std::copy(b.begin(), b.end(), r.begin() + N);
    return r;
}
template <int Axis, class S, class... G>
auto make_pad_sum(const dims_t<S::rank>& d, const std::array<std::size_t, sizeof...(G)>& begins, std::tuple<G...> parts) {
    return pad_sum_node<Axis, S, G...>(d, begins, std::move(parts));
}
// a + b for two pads (or sums of pads) of one shape along one axis: one pad_sum_node.
template <class A, class B>
auto merge_pads(A&& a, B&& b) {
    using PA = pad_parts<std::remove_cvref_t<A>>;
    using PB = pad_parts<std::remove_cvref_t<B>>;
    if (PA::dims(a) != PB::dims(b))
        throw shape_error("tfx: gradient: the adjoints of two slices have the shapes " + shape_string(PA::dims(a)) + " and " +
                          shape_string(PB::dims(b)));
    return make_pad_sum<PA::axis, typename PA::shape>(PA::dims(a), join_begins(PA::begins(a), PB::begins(b)),
                                                      std::tuple_cat(PA::parts(std::forward<A>(a)), PB::parts(std::forward<B>(b))));
}
}  // namespace detail

}  // namespace tfx
