#pragma once
// Kernel nodes that only gradients need: sum_to (the adjoint of a broadcast: sum over the axes
// that were broadcast), scatter_add (of gather) and pad (of slice).
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
        detail::evaluator<G, RG> ev(g, ctx);
        const auto gd = ev.dims;
        std::array<bool, RG> mask{};
        for (std::size_t k = 0; k < RG; ++k) {
            if (k < RG - R)
                mask[k] = true;
            else
                mask[k] = target[k - (RG - R)] == 1 && gd[k] != 1;
        }
        kernels::reduce<kernels::red_sum, T>(out, gd, mask, ev);
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

}  // namespace tfx
