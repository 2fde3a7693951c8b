#pragma once
// Selection: gather<Axis, BatchDims>(x, indices) as tf.gather (rows: gather<0>(x, idx); the class of
// each row: gather<1, 1>(logits, labels)), and slice<Axis>(x, begin, size) for a contiguous range.
// Indices are validated before anything is written.
#include "../eval/materialize.hpp"

namespace tfx {

namespace detail {
template <class SX, class SI, std::size_t Ax, std::size_t BD>
constexpr auto gather_extents() {
    std::array<index_t, SX::rank - 1 + SI::rank - BD> r{};
    std::size_t j = 0;
    for (std::size_t k = 0; k < Ax; ++k) r[j++] = SX::extents[k];
    for (std::size_t k = BD; k < SI::rank; ++k) r[j++] = SI::extents[k];
    for (std::size_t k = Ax + 1; k < SX::rank; ++k) r[j++] = SX::extents[k];
    return r;
}
}  // namespace detail

// 'tfx::gather_valid<tfx::shape<4, 10>, tfx::shape<4>, 1, 1>' evaluates to false when the axis is
// out of range, batch_dims exceeds it, or the batch extents of x and the indices differ.
template <class SX, class SI, int Axis, int BatchDims>
inline constexpr bool gather_valid = [] {
    if constexpr (!axis_in_range<SX::rank>(Axis) || BatchDims < 0)
        return false;
    else {
        constexpr std::size_t ax = normalize_axis<SX::rank>(Axis);
        if (std::size_t(BatchDims) > ax || std::size_t(BatchDims) > SI::rank) return false;
        for (std::size_t k = 0; k < std::size_t(BatchDims); ++k)
            if (SX::extents[k] != SI::extents[k] && SX::extents[k] != dyn && SI::extents[k] != dyn) return false;
        return true;
    }
}();

template <int Axis, int BatchDims, class X, class I>
struct gather_node : expr_base<typename X::value_type,
                               shape_of_array<detail::gather_extents<typename X::shape_type, typename I::shape_type,
                                                                     normalize_axis<X::rank>(Axis), std::size_t(BatchDims)>()>> {
    using T = typename X::value_type;
    static constexpr std::size_t RX = X::rank, RI = I::rank, ax = normalize_axis<RX>(Axis), BD = std::size_t(BatchDims);
    static constexpr std::size_t R = RX - 1 + RI - BD;
    static constexpr const char* name = "gather";
    X x;
    I idx;
    gather_node(X x_, I i_) : x(std::move(x_)), idx(std::move(i_)) {}
    auto children() const { return std::tie(x, idx); }
    dims_t<R> dims() const { return dims_of(x.dims(), idx.dims()); }

    void eval_into(T* out, const dims_t<R>&, detail::eval_ctx& ctx) const {
        const auto mx = detail::materialize_if_leafless(x, ctx);
        const auto mi = detail::materialize_if_leafless(idx, ctx);
        const auto xd = mx.dims(), id = mi.dims();
        dims_of(xd, id);
        std::size_t batch = 1, pre = 1, post = 1, ni = 1;
        for (std::size_t k = 0; k < BD; ++k) batch *= xd[k];
        for (std::size_t k = BD; k < ax; ++k) pre *= xd[k];
        for (std::size_t k = ax + 1; k < RX; ++k) post *= xd[k];
        for (std::size_t k = BD; k < RI; ++k) ni *= id[k];
        const std::size_t len = xd[ax];
        const auto* ip = mi.data();
        for (std::size_t k = 0; k < batch * ni; ++k)
            if (ip[k] < 0 || std::size_t(ip[k]) >= len)
                throw value_error("tfx: gather: index " + std::to_string(static_cast<long long>(ip[k])) + " at position " +
                                  std::to_string(k) + " is out of range [0, " + std::to_string(len) + ") for axis " +
                                  std::to_string(ax) + " of shape " + shape_string(xd));
        const T* src = mx.data();
        for (std::size_t b = 0; b < batch; ++b)
            for (std::size_t p = 0; p < pre; ++p)
                for (std::size_t j = 0; j < ni; ++j) {
                    const std::size_t row = std::size_t(ip[b * ni + j]);
                    const T* from = src + ((b * pre + p) * len + row) * post;
                    std::copy(from, from + post, out + ((b * pre + p) * ni + j) * post);
                }
    }

   private:
    static dims_t<R> dims_of(const dims_t<RX>& xd, const dims_t<RI>& id) {
        for (std::size_t k = 0; k < BD; ++k)
            if (xd[k] != id[k])
                throw shape_error("tfx: gather: batch extents differ between x " + shape_string(xd) + " and indices " +
                                  shape_string(id));
        dims_t<R> r{};
        std::size_t j = 0;
        for (std::size_t k = 0; k < ax; ++k) r[j++] = xd[k];
        for (std::size_t k = BD; k < RI; ++k) r[j++] = id[k];
        for (std::size_t k = ax + 1; k < RX; ++k) r[j++] = xd[k];
        return r;
    }
};

template <int Axis = 0, int BatchDims = 0, expression X, expression I>
auto gather(X&& x, I&& indices) {
    using NX = node_t<X>;
    using NI = node_t<I>;
    static_assert(std::is_integral_v<typename NI::value_type> && !std::is_same_v<typename NI::value_type, bool>,
                  "tfx: gather: indices must be an integer tensor (int32 or int64)");
    static_assert(gather_valid<typename NX::shape_type, typename NI::shape_type, Axis, BatchDims>,
                  "tfx: gather: axis out of range, or batch extents of x and indices differ (shapes below)");
    return gather_node<Axis, BatchDims, NX, NI>(as_node(std::forward<X>(x)), as_node(std::forward<I>(indices)));
}

// ---- slice: [begin, begin + size) along one axis; the extent becomes dyn (or Size when static).
namespace detail {
template <class S, std::size_t Ax, index_t Size>
constexpr auto sliced_extents() {
    auto r = S::extents;
    r[Ax] = Size;
    return r;
}
}  // namespace detail

// Begin is the static start of slice<Axis, Begin, Size> (dyn for a run-time range): two static
// slices of one node are then different types, which reverse mode tells apart without looking at
// run-time values (and so merges each slice's uses into one adjoint: autodiff/dag.hpp).
template <int Axis, index_t Size, class X, index_t Begin = dyn>
struct slice_node : expr_base<typename X::value_type,
                              shape_of_array<detail::sliced_extents<typename X::shape_type, normalize_axis<X::rank>(Axis), Size>()>> {
    using T = typename X::value_type;
    static constexpr std::size_t R = X::rank, ax = normalize_axis<R>(Axis);
    static constexpr const char* name = "slice";
    X x;
    std::size_t begin, size;
    slice_node(X x_, std::size_t b, std::size_t n) : x(std::move(x_)), begin(b), size(n) {}
    auto params() const { return std::tuple(begin, size); }
    auto children() const { return std::tie(x); }
    dims_t<R> dims() const {
        auto d = x.dims();
        if (begin > d[ax] || size > d[ax] - begin)
            throw value_error("tfx: slice: range [" + std::to_string(begin) + ", " + std::to_string(begin + size) +
                              ") is out of bounds for axis " + std::to_string(ax) + " of shape " + shape_string(d));
        d[ax] = size;
        return d;
    }
    void eval_into(T* out, const dims_t<R>& d, detail::eval_ctx& ctx) const {
        const auto m = detail::materialize_if_leafless(x, ctx);
        const auto xd = m.dims();
        std::size_t outer = 1, inner = 1;
        for (std::size_t k = 0; k < ax; ++k) outer *= xd[k];
        for (std::size_t k = ax + 1; k < R; ++k) inner *= xd[k];
        const T* src = m.data();
        for (std::size_t o = 0; o < outer; ++o) {
            const T* from = src + (o * xd[ax] + begin) * inner;
            std::copy(from, from + d[ax] * inner, out + o * d[ax] * inner);
        }
    }
};

// slice<0>(x, begin, size): a run-time range (the extent becomes dyn).
template <int Axis, expression X>
auto slice(X&& x, std::size_t begin, std::size_t size) {
    using N = node_t<X>;
    static_assert(axis_valid<typename N::shape_type, Axis>, "tfx: slice: axis out of range (shape and axis below)");
    return slice_node<Axis, dyn, N>(as_node(std::forward<X>(x)), begin, size);
}
// slice<0, Begin, Size>(x): a static range, checked by the compiler when the extent is static.
template <int Axis, index_t Begin, index_t Size, expression X>
auto slice(X&& x) {
    using N = node_t<X>;
    static_assert(axis_valid<typename N::shape_type, Axis>, "tfx: slice: axis out of range (shape and axis below)");
    if constexpr (axis_valid<typename N::shape_type, Axis>) {
        constexpr index_t ext = N::shape_type::extents[normalize_axis<N::rank>(Axis)];
        static_assert(Begin >= 0 && Size >= 0 && (ext == dyn || Begin + Size <= ext),
                      "tfx: slice: the static range is out of bounds");
        return slice_node<Axis, Size, N, Begin>(as_node(std::forward<X>(x)), std::size_t(Begin), std::size_t(Size));
    }
}

}  // namespace tfx
