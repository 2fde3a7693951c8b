#pragma once
// Reductions over compile-time axes (negative axes count from the end): sum mean prod max min,
// argmax/argmin, logsumexp, and the normalisations softmax / log_softmax built on them. A reduction
// evaluates its elementwise producer inside its own loop.
#include <algorithm>

#include "../eval/assign.hpp"
#include "../eval/materialize.hpp"
#include "../kernels/reduce.hpp"

namespace tfx {

struct keepdims_t {};
inline constexpr keepdims_t keepdims{};

namespace kernels {
struct red_mean : red_sum {
    static constexpr const char* name = "mean";
};
struct red_logsumexp {
    static constexpr const char* name = "logsumexp";
};
}  // namespace kernels

namespace detail {
// Reduced axes as a bit set (bit k: axis k). An integer rather than std::array<bool, R>: GCC 12
// confuses class-type template arguments that differ only in value.
template <std::size_t R, int... Axes>
constexpr unsigned axes_mask() {
    if constexpr (sizeof...(Axes) == 0)
        return (1u << R) - 1u;
    else  // out-of-range axes are left out: their static_assert has already said so
        return ((axis_in_range<R>(Axes) ? (1u << normalize_axis<R>(Axes)) : 0u) | ...);
}
template <std::size_t R>
constexpr std::array<bool, R> mask_array(unsigned bits) {
    std::array<bool, R> m{};
    for (std::size_t k = 0; k < R; ++k) m[k] = (bits >> k) & 1u;
    return m;
}
template <std::size_t R, int... Axes>
constexpr bool axes_distinct() {
    std::array<std::size_t, sizeof...(Axes) + 1> a{normalize_axis<R>(Axes)..., std::size_t(-1)};
    for (std::size_t i = 0; i < sizeof...(Axes); ++i)
        for (std::size_t j = i + 1; j < sizeof...(Axes); ++j)
            if (a[i] == a[j]) return false;
    return true;
}
template <std::size_t R>
constexpr std::size_t count_kept(const std::array<bool, R>& m, bool keep) {
    std::size_t n = 0;
    for (bool b : m) n += (!b || keep);
    return n;
}
template <class S, unsigned Bits, bool Keep>
constexpr auto reduced_extents() {
    constexpr auto Mask = mask_array<S::rank>(Bits);
    std::array<index_t, count_kept<S::rank>(Mask, Keep)> r{};
    std::size_t j = 0;
    for (std::size_t k = 0; k < S::rank; ++k)
        if (!Mask[k])
            r[j++] = S::extents[k];
        else if (Keep)
            r[j++] = 1;
    return r;
}
template <unsigned Bits, bool Keep, std::size_t RX>
auto reduced_dims(const dims_t<RX>& xd) {
    constexpr auto mask = mask_array<RX>(Bits);
    constexpr std::size_t RO = count_kept<RX>(mask, Keep);
    dims_t<RO> r{};
    std::size_t j = 0;
    for (std::size_t k = 0; k < RX && j < RO; ++k)
        if (!mask[k])
            r[j++] = xd[k];
        else if (Keep)
            r[j++] = 1;
    return r;
}

}  // namespace detail

// 'tfx::reduction_axes_in_range<tfx::shape<2, 3>, 2>' evaluates to false: the shape and the axes.
template <class S, int... Axes>
inline constexpr bool reduction_axes_in_range = (axis_in_range<S::rank>(Axes) && ...);
// 'tfx::reduction_axes_distinct<tfx::shape<2, 3>, 1, -1>' evaluates to false.
template <class S, int... Axes>
inline constexpr bool reduction_axes_distinct = [] {
    if constexpr (reduction_axes_in_range<S, Axes...>)
        return detail::axes_distinct<S::rank, Axes...>();
    else
        return true;
}();

template <class K, unsigned Mask, bool Keep, class X>
struct reduce_node
    : expr_base<typename X::value_type,
                shape_of_array<detail::reduced_extents<typename X::shape_type, Mask, Keep>()>> {
    using base = expr_base<typename X::value_type,
                           shape_of_array<detail::reduced_extents<typename X::shape_type, Mask, Keep>()>>;
    using T = typename X::value_type;
    static constexpr const char* name = K::name;
    X x;
    explicit reduce_node(X x_) : x(std::move(x_)) {}
    auto children() const { return std::tie(x); }
    dims_t<base::rank> dims() const { return detail::reduced_dims<Mask, Keep>(x.dims()); }

    void eval_into(T* out, const dims_t<base::rank>&, detail::eval_ctx& ctx) const {
        if constexpr (std::is_same_v<K, kernels::red_logsumexp>) {
            // logsumexp = m + log(sum(exp(x - m))), m the max: no overflow for large x.
            auto xs = detail::materialize_if_needed(x, ctx);
            using KS = shape_of_array<detail::reduced_extents<typename X::shape_type, Mask, true>()>;
            const auto kd = detail::reduced_dims<Mask, true>(xs.dims());
            detail::scratch<T, KS> m(ctx, kd);
            run<kernels::red_max>(m.data(), xs, ctx);
            view<T, KS> mv(m.data(), kd);
            auto shifted = exp(xs - mv);
            const std::size_t n = dims_size(kd);
            run<kernels::red_sum>(out, shifted, ctx);
            for (std::size_t i = 0; i < n; ++i) {
                const T mi = m.data()[i];
                // An all -inf slice has logsumexp -inf; +inf stays +inf.
                out[i] = std::isinf(mi) ? mi : mi + std::log(out[i]);
            }
        } else {
            detail::with_operand(x, ctx, [&](const auto& y) { run<K>(out, y, ctx); });
        }
    }

   private:
    template <class KK, class Y>
    static void run(T* out, const Y& y, detail::eval_ctx& outer) {
        detail::eval_ctx ctx{nullptr, nullptr, outer.ws, outer.persistent};
        detail::evaluator<Y, Y::rank> ev(y, ctx);
        const auto xd = ev.dims;
        if constexpr (std::is_same_v<KK, kernels::red_mean>) {
            kernels::reduce<kernels::red_sum, T>(out, xd, detail::mask_array<Y::rank>(Mask), ev);
            std::size_t count = 1;
            for (std::size_t k = 0; k < Y::rank; ++k)
                if ((Mask >> k) & 1u) count *= xd[k];
            std::size_t n = 1;
            for (std::size_t k = 0; k < Y::rank; ++k)
                if (!((Mask >> k) & 1u)) n *= xd[k];
            for (std::size_t i = 0; i < n; ++i) out[i] = count ? out[i] / T(count) : std::numeric_limits<T>::quiet_NaN();
        } else {
            kernels::reduce<KK, T>(out, xd, detail::mask_array<Y::rank>(Mask), ev);
        }
    }
};

template <class K, bool Keep, int... Axes, class X>
auto make_reduce(X&& x) {
    using N = node_t<X>;
    static_assert(reduction_axes_in_range<typename N::shape_type, Axes...>,
                  "tfx: reduction: axis out of range (shape and axes below)");
    static_assert(reduction_axes_distinct<typename N::shape_type, Axes...>,
                  "tfx: reduction: an axis is given twice (shape and axes below)");
    // When an axis is wrong the out-of-range ones are dropped, so the message above stays the only one.
    constexpr auto mask = detail::axes_mask<N::rank, Axes...>();
    return reduce_node<K, mask, Keep, N>(as_node(std::forward<X>(x)));
}

#define TFX_REDUCTION(fn, kernel)                                                    \
    template <int... Axes, expression X>                                             \
    auto fn(X&& x) {                                                                 \
        return make_reduce<kernels::kernel, false, Axes...>(std::forward<X>(x));     \
    }                                                                                \
    template <int... Axes, expression X>                                             \
    auto fn(X&& x, keepdims_t) {                                                     \
        return make_reduce<kernels::kernel, true, Axes...>(std::forward<X>(x));      \
    }
TFX_REDUCTION(sum, red_sum)
TFX_REDUCTION(mean, red_mean)
TFX_REDUCTION(prod, red_prod)
TFX_REDUCTION(max, red_max)
TFX_REDUCTION(min, red_min)
TFX_REDUCTION(logsumexp, red_logsumexp)
#undef TFX_REDUCTION

// ---- argmax / argmin along one axis: int64 indices (TensorFlow's default output_type).
template <bool Max, int Axis, class X>
struct arg_node
    : expr_base<std::int64_t, shape_of_array<detail::reduced_extents<typename X::shape_type,
                                                                     detail::axes_mask<X::rank, Axis>(), false>()>> {
    static constexpr std::size_t ax = normalize_axis<X::rank>(Axis);
    static constexpr std::size_t R = X::rank - 1;
    static constexpr const char* name = Max ? "argmax" : "argmin";
    X x;
    explicit arg_node(X x_) : x(std::move(x_)) {}
    auto children() const { return std::tie(x); }
    dims_t<R> dims() const {
        return detail::reduced_dims<detail::axes_mask<X::rank, Axis>(), false>(x.dims());
    }
    void eval_into(std::int64_t* out, const dims_t<R>&, detail::eval_ctx& ctx) const {
        const auto xd = x.dims();
        if (xd[ax] == 0) throw value_error(std::string("tfx: ") + name + ": the reduced axis is empty in shape " + shape_string(xd));
        const auto buf = detail::materialize_if_leafless(x, ctx);
        std::size_t outer = 1, inner = 1;
        for (std::size_t k = 0; k < ax; ++k) outer *= xd[k];
        for (std::size_t k = ax + 1; k < X::rank; ++k) inner *= xd[k];
        kernels::arg_reduce<Max>(out, buf.data(), outer, xd[ax], inner);
    }
};

template <int Axis = -1, expression X>
auto argmax(X&& x) {
    using N = node_t<X>;
    static_assert(axis_valid<typename N::shape_type, Axis>, "tfx: argmax: axis out of range (shape and axis below)");
    return arg_node<true, (axis_valid<typename N::shape_type, Axis> ? Axis : -1), N>(as_node(std::forward<X>(x)));
}
template <int Axis = -1, expression X>
auto argmin(X&& x) {
    using N = node_t<X>;
    static_assert(axis_valid<typename N::shape_type, Axis>, "tfx: argmin: axis out of range (shape and axis below)");
    return arg_node<false, (axis_valid<typename N::shape_type, Axis> ? Axis : -1), N>(as_node(std::forward<X>(x)));
}

// ---- softmax and log_softmax along one axis, numerically stable (the max is subtracted first).
template <bool Log, int Axis, class X>
struct softmax_node : expr_base<typename X::value_type, typename X::shape_type> {
    using T = typename X::value_type;
    static constexpr std::size_t R = X::rank;
    static constexpr auto mask = detail::axes_mask<R, Axis>();
    using KS = shape_of_array<detail::reduced_extents<typename X::shape_type, mask, true>()>;
    static constexpr const char* name = Log ? "log_softmax" : "softmax";
    X x;
    explicit softmax_node(X x_) : x(std::move(x_)) {}
    auto children() const { return std::tie(x); }
    dims_t<R> dims() const { return x.dims(); }

    void eval_into(T* out, const dims_t<R>& d, detail::eval_ctx& ctx) const {
        auto xs = detail::materialize_if_needed(x, ctx);
        const auto kd = detail::reduced_dims<mask, true>(d);
        detail::scratch<T, KS> m(ctx, kd), s(ctx, kd);
        detail::eval_block(reduce_node<kernels::red_max, mask, true, decltype(xs)>(xs), m.data(), kd, ctx);
        view<T, KS> mv(m.data(), kd), sv(s.data(), kd);
        view<T, typename X::shape_type> ov(out, d);
        if constexpr (Log) {
            detail::eval_block(xs - mv, out, d, ctx);  // out = x - m
            detail::eval_block(reduce_node<kernels::red_sum, mask, true, decltype(exp(ov))>(exp(ov)), s.data(), kd, ctx);
            detail::eval_block(ov - log(sv), out, d, ctx);
        } else {
            detail::eval_block(exp(xs - mv), out, d, ctx);  // out = exp(x - m)
            detail::eval_block(reduce_node<kernels::red_sum, mask, true, view<T, typename X::shape_type>>(ov), s.data(), kd, ctx);
            detail::eval_block(ov / sv, out, d, ctx);
        }
    }
};

template <int Axis = -1, expression X>
auto softmax(X&& x) {
    using N = node_t<X>;
    static_assert(axis_valid<typename N::shape_type, Axis>, "tfx: softmax: axis out of range (shape and axis below)");
    static_assert(floating_elements<softmax_node<false, Axis, N>, typename N::value_type>,
                  "tfx: softmax needs floating-point elements (type below)");
    return softmax_node<false, (axis_valid<typename N::shape_type, Axis> ? Axis : -1), N>(as_node(std::forward<X>(x)));
}
template <int Axis = -1, expression X>
auto log_softmax(X&& x) {
    using N = node_t<X>;
    static_assert(axis_valid<typename N::shape_type, Axis>, "tfx: log_softmax: axis out of range (shape and axis below)");
    static_assert(floating_elements<softmax_node<true, Axis, N>, typename N::value_type>,
                  "tfx: log_softmax needs floating-point elements (type below)");
    return softmax_node<true, (axis_valid<typename N::shape_type, Axis> ? Axis : -1), N>(as_node(std::forward<X>(x)));
}

}  // namespace tfx
