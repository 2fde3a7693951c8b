#pragma once
// Reductions over compile-time axes (negative axes count from the end): sum mean prod max min,
// argmax/argmin, logsumexp, and the normalisations softmax / log_softmax built on them. A reduction
// evaluates its elementwise producer inside its own loop.
#include <algorithm>

#include "../eval/assign.hpp"
#include "../eval/materialize.hpp"
#include "../eval/stored.hpp"
#include "../kernels/reduce.hpp"
#include "../kernels/softmax_xent.hpp"
#include "reshape.hpp"

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

template <class G>
struct is_bcast_of_scalar : std::false_type {};
template <class S, class X>
struct is_bcast_of_scalar<bcast_node<S, X>> : std::bool_constant<X::rank == 0> {};
// g reshaped to the keepdims shape of a reduction (when the reduced axes were dropped), then
// broadcast back to the input's shape.
template <unsigned Mask, bool Keep, class X, class G>
auto expand_reduced(const G& g, const X& x) {
    using KS = shape_of_array<reduced_extents<typename X::shape_type, Mask, true>()>;
    const auto xd = x.dims();
    auto kd = reduced_dims<Mask, true>(xd);
    if constexpr (Keep || G::rank == 0)
        return broadcast_to_dims<typename X::shape_type>(g, xd);
    else if constexpr (is_bcast_of_scalar<G>::value)  // the same value everywhere (a sum's 1): no reshape
        return broadcast_to_dims<typename X::shape_type>(g.x, xd);
    else
        return broadcast_to_dims<typename X::shape_type>(reshape_to_shape<KS>(g, kd), xd);
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

namespace detail {
template <class N>
struct lse_softmax_node;
// Are the axes of Mask the last ones of a rank-R shape (a reduction over contiguous slices)?
template <std::size_t R>
constexpr bool trailing_axes(unsigned mask) {
    std::size_t k = R;
    while (k > 0 && ((mask >> (k - 1)) & 1u)) --k;
    return mask != 0 && (mask >> k) == (1u << (R - k)) - 1u && (mask & ((1u << k) - 1u)) == 0;
}
}  // namespace detail

template <class K, unsigned Mask, bool Keep, class X>
struct reduce_node
    : expr_base<typename X::value_type,
                shape_of_array<detail::reduced_extents<typename X::shape_type, Mask, Keep>()>> {
    using base = expr_base<typename X::value_type,
                           shape_of_array<detail::reduced_extents<typename X::shape_type, Mask, Keep>()>>;
    using T = typename X::value_type;
    static constexpr const char* name = K::name;
    static constexpr unsigned mask = Mask;
    X x;
    explicit reduce_node(X x_) : x(std::move(x_)) {}
    auto children() const { return std::tie(x); }
    dims_t<base::rank> dims() const { return detail::reduced_dims<Mask, Keep>(x.dims()); }

    // logsumexp's softmax exp(x - logsumexp(x)), as its gradient rule (autodiff/vjp.hpp) writes it.
    auto softmax() const
        requires std::is_same_v<K, kernels::red_logsumexp>
    {
        return exp(x - detail::expand_reduced<Mask, Keep>(*this, x));
    }

    void eval_into(T* out, const dims_t<base::rank>&, detail::eval_ctx& ctx) const {
        if constexpr (std::is_same_v<K, kernels::red_logsumexp>) {
            // logsumexp = m + log(s), s = sum(exp(x - m)), m the max: no overflow for large x.
            // Under a tfx::function the terms exp(x - m) and 1 / s are also stored, for the
            // gradient's softmax (lse_softmax_node, below), so that the exps are not computed a
            // second time. Once the function's first call has found that nothing reads them (a
            // function without a gradient), later calls skip the stores.
            auto xs = detail::materialize_if_needed(x, ctx);
            using KS = shape_of_array<detail::reduced_extents<typename X::shape_type, Mask, true>()>;
            const auto xd = xs.dims();
            const auto kd = detail::reduced_dims<Mask, true>(xd);
            const std::size_t n = dims_size(kd), nx = dims_size(xd);
            detail::scratch<T, KS> m(ctx, kd);
            run<kernels::red_max>(m.data(), xs, ctx);
            view<T, KS> mv(m.data(), kd);
            using softmax_node = detail::lse_softmax_node<reduce_node>;
            T* p = ctx.persistent ? ctx.ws->template byproduct_memory<softmax_node, T>(nx + n) : nullptr;
            const bool store = p != nullptr;
            if constexpr (detail::trailing_axes<X::rank>(Mask) && is_leaf<decltype(xs)>::value) {
                // Contiguous slices: the exps summed (and stored) in one pass per slice.
                const std::size_t len = n ? nx / n : 0;
                for (std::size_t i = 0; i < n; ++i) {
                    const T* xi = xs.data() + i * len;
                    out[i] = store ? kernels::sum_exp_shifted<true>(p + i * len, xi, len, m.data()[i])
                                   : kernels::sum_exp_shifted<false>(static_cast<T*>(nullptr), xi, len, m.data()[i]);
                }
            } else if (store) {
                detail::eval_block(exp(xs - mv), p, xd, ctx);
                run<kernels::red_sum>(out, view<T, typename X::shape_type>(p, xd), ctx);
            } else {
                run<kernels::red_sum>(out, exp(xs - mv), ctx);
            }
            bool inf = false;
            for (std::size_t i = 0; i < n; ++i) {
                const T mi = m.data()[i], s = out[i];
                inf = inf || std::isinf(mi);
                // An all -inf slice has logsumexp -inf; +inf stays +inf.
                out[i] = std::isinf(mi) ? mi : mi + std::log(s);
                if (store) p[nx + i] = T(1) / s;
            }
            if (store) {
                if (inf) {  // exactly the rule's exp(x - l) where a max is infinite, times 1
                    for (std::size_t i = 0; i < n; ++i) {
                        m.data()[i] = out[i];
                        p[nx + i] = T(1);
                    }
                    detail::eval_block(exp(xs - mv), p, xd, ctx);
                }
                ctx.ws->keep_byproduct(softmax_node(softmax()), static_cast<const T*>(p));
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
            detail::with_loop_form(ev, xd, [&](auto& lf) { kernels::reduce<kernels::red_sum, T>(out, xd, detail::mask_array<Y::rank>(Mask), lf); });
            std::size_t count = 1;
            for (std::size_t k = 0; k < Y::rank; ++k)
                if ((Mask >> k) & 1u) count *= xd[k];
            std::size_t n = 1;
            for (std::size_t k = 0; k < Y::rank; ++k)
                if (!((Mask >> k) & 1u)) n *= xd[k];
            for (std::size_t i = 0; i < n; ++i) out[i] = count ? out[i] / T(count) : std::numeric_limits<T>::quiet_NaN();
        } else {
            detail::with_loop_form(ev, xd, [&](auto& lf) { kernels::reduce<KK, T>(out, xd, detail::mask_array<Y::rank>(Mask), lf); });
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

namespace detail {
// logsumexp's softmax exp(x - logsumexp(x)) in its gradient: read from what the logsumexp kernel of
// this tfx::function call stored, the terms exp(x - m) and the reciprocals 1 / s of their sums per
// slice (m the slice's max), as terms * reciprocals; else computed inline as written. To a
// derivative it is that expression (a gradient of the gradient differentiates it).
template <class N>
struct lse_softmax_node : value_node<decltype(std::declval<const N&>().softmax())> {
    using P = decltype(std::declval<const N&>().softmax());
    static constexpr const char* name = "softmax";
    using value_node<P>::value_node;
};

// The stored terms times their slice's reciprocal, read like a leaf.
template <class T, std::size_t RX, std::size_t RO, bool InnerX, bool InnerK>
struct scaled_terms {
    using term_eval = strided_eval<T, RX, RO, InnerX>;
    using scale_eval = strided_eval<T, RX, RO, InnerK>;
    term_eval terms;
    scale_eval scales;
    template <class U>
    static constexpr bool simd_as = term_eval::template simd_as<U>;

    void bind(const dims_t<RO>& out) {
        terms.bind(out);
        scales.bind(out);
    }
    void seek(const dims_t<RO>& idx) {
        terms.seek(idx);
        scales.seek(idx);
    }
    T get(std::size_t i) const { return terms.get(i) * scales.get(i); }
    template <class B>
    B load(std::size_t i) const {
        return terms.template load<B>(i) * scales.template load<B>(i);
    }
    template <class B>
    B load_tail(std::size_t i, std::size_t r) const {
        return terms.template load_tail<B>(i, r) * scales.template load_tail<B>(i, r);
    }
    bool simd_valid() const { return terms.simd_valid() && scales.simd_valid(); }
    bool flat_ok(const dims_t<RO>& out) const { return terms.flat_ok(out) && scales.flat_ok(out); }
};
// Its own loop form (eval/evaluator.hpp): it holds no node types.
template <class T, std::size_t RX, std::size_t RO, bool InnerX, bool InnerK>
scaled_terms<T, RX, RO, InnerX, InnerK> to_loop(const scaled_terms<T, RX, RO, InnerX, InnerK>& e) {
    return e;
}

// The stored terms of lse_softmax_node<N> (shape S, reduced to KS per slice) as read for an
// output of rank RO.
template <class N, std::size_t RO, class S = typename lse_softmax_node<N>::shape_type,
          class KS = shape_of_array<reduced_extents<S, N::mask, true>()>>
using lse_terms_eval = scaled_terms<typename N::value_type, S::rank, RO, bcast_inner<S>, bcast_inner<KS>>;

template <class N, std::size_t RO>
struct evaluator<lse_softmax_node<N>, RO>
    : stored_or_inline<typename N::value_type, lse_softmax_node<N>::R, RO, lse_terms_eval<N, RO>,
                       evaluator<typename lse_softmax_node<N>::P, RO>> {
    // When not stored yet, the inline evaluator computes the logsumexp under it, which may store
    // the terms: they are looked up again.
    evaluator(const lse_softmax_node<N>& e, eval_ctx& ctx) {
        using V = typename N::value_type;
        this->known = ctx.persistent ? ctx.ws->template recall<V>(e) : nullptr;
        if (!this->known) {
            this->inlined.emplace(e.x, ctx);
            if (ctx.persistent) this->known = ctx.ws->template recall<V>(e);
            if (this->known)
                this->inlined.reset();
            else
                this->dims = this->inlined->dims;
        }
        if (this->known) {
            this->dims = e.x.dims();
            this->stored.terms.base = this->known;
            this->stored.terms.dims = this->dims;
            this->stored.scales.base = this->known + dims_size(this->dims);
            this->stored.scales.dims = reduced_dims<N::mask, true>(this->dims);
        }
    }
};
}  // namespace detail
// Read element by element through its evaluator, like a map (not computed into a buffer of its own).
template <class N>
struct is_elementwise_node<detail::lse_softmax_node<N>> : std::true_type {};

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
