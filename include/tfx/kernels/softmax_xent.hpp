#pragma once
// Rows of the sparse softmax cross-entropy (losses::sparse_categorical_crossentropy): for the
// logits z of one row and its label l, the loss log(sum_c exp(z_c - m)) - (z_l - m), m the row's
// max, and its gradient g (softmax(z) - onehot(l)). A row takes two passes over z (its max, then
// the exponentials), SIMD to the last lane: a tail is one padded batch; nothing else is stored.
// For probabilities p, as Keras, z = log(clip(p, lo, hi)): the loss is then
// log(sum_c clip(p_c)) - log(clip(p_l)), and no exp is needed.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "../expr/ops.hpp"
#include "reduce.hpp"
#include "tail.hpp"

namespace tfx::kernels {

// The largest of z[0, n) (NaN if any is NaN, as red_max); -inf for an empty row.
template <class T>
T row_max(const T* z, std::size_t n) {
    if constexpr (simd_type<T>) {
        using B = simd<T>;
        constexpr std::size_t W = B::size;
        if (n == 0) return red_max::identity<T>();
        // Max is idempotent: a tail is the last W values, overlapping the body.
        B a = n >= W ? B::load_unaligned(z) : detail::load_tail(z, n, red_max::identity<T>());
        for (std::size_t i = W; i < n; i += W) a = red_max::combine(a, B::load_unaligned(z + std::min(i, n - W)));
        return horizontal<red_max, T>(a);
    } else {
        T m = red_max::identity<T>();
        for (std::size_t i = 0; i < n; ++i) m = red_max::combine(m, z[i]);
        return m;
    }
}

// The sum of exp(z[c] - m) over [0, n); with Store, each term is also written to out[c]. A long
// float row is summed in blocks whose totals are added in double, as reduce_row sums softmax's rows.
template <bool Store, class T>
T sum_exp_shifted(T* out, const T* z, std::size_t n, T m) {
    using std::exp;
    using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;
    constexpr std::size_t block = 4096;
    Acc total = 0;
    for (std::size_t b = 0; b < n; b += block) {
        const std::size_t e = std::min(n, b + block);
        std::size_t i = b;
        T part = 0;
        if constexpr (simd_type<T>) {
            using B = simd<T>;
            constexpr std::size_t W = B::size;
            const B mb(m);
            B a0(T(0)), a1(T(0));
            for (; i + 2 * W <= e; i += 2 * W) {
                const B x0 = exp(B::load_unaligned(z + i) - mb);
                const B x1 = exp(B::load_unaligned(z + i + W) - mb);
                if constexpr (Store) {
                    x0.store_unaligned(out + i);
                    x1.store_unaligned(out + i + W);
                }
                a0 += x0;
                a1 += x1;
            }
            for (; i + W <= e; i += W) {
                const B x0 = exp(B::load_unaligned(z + i) - mb);
                if constexpr (Store) x0.store_unaligned(out + i);
                a0 += x0;
            }
            if (i < e) {  // exp(-inf - m) = 0 in the lanes past the row
                const B x1 = exp(detail::load_tail(z + i, e - i, red_max::identity<T>()) - mb);
                if constexpr (Store) detail::store_tail(out + i, e - i, x1);
                a1 += x1;
            }
            part = reduce_add(a0 + a1);
        } else {
            for (; i < e; ++i) {
                const T x = exp(z[i] - m);
                if constexpr (Store) out[i] = x;
                part += x;
            }
        }
        total += Acc(part);
    }
    return T(total);
}

// The loss of one row: log(sum_c exp(z_c - m)) - (z_l - m).
template <class T>
T softmax_xent_row(const T* z, std::size_t n, std::size_t label) {
    using std::log;
    const T m = row_max(z, n);
    const T s = sum_exp_shifted<false>(static_cast<T*>(nullptr), z, n, m);
    return log(s) - (z[label] - m);
}

// The same, keeping the terms exp(z_c - m) in terms[0, n) and their sum in *sum, for the gradient
// (softmax_xent_grad_row_kept): the same operations, so the same loss.
template <class T>
T softmax_xent_row_kept(const T* z, std::size_t n, std::size_t label, T* terms, T* sum) {
    using std::log;
    const T m = row_max(z, n);
    const T s = sum_exp_shifted<true>(terms, z, n, m);
    *sum = s;
    return log(s) - (z[label] - m);
}

// out[c] = terms[c] * (g / s) - g [c == label]; terms may be out.
template <class T>
void softmax_xent_scale_row(T* out, const T* terms, std::size_t n, std::size_t label, T g, T s) {
    const T a = g / s;
    std::size_t i = 0;
    if constexpr (simd_type<T>) {
        using B = simd<T>;
        constexpr std::size_t W = B::size;
        const B ab(a);
        for (; i + W <= n; i += W) (B::load_unaligned(terms + i) * ab).store_unaligned(out + i);
        if constexpr (detail::masked_tail<T>) {
            if (i < n) detail::store_tail(out + i, n - i, B(detail::load_tail(terms + i, n - i, T(0)) * ab));
            i = n;
        }
    }
    for (; i < n; ++i) out[i] = terms[i] * a;
    out[label] -= g;
}

// The gradient of one row's loss, times g: out[c] = g (softmax(z)_c - [c == label]).
template <class T>
void softmax_xent_grad_row(T* out, const T* z, std::size_t n, std::size_t label, T g) {
    const T m = row_max(z, n);
    const T s = sum_exp_shifted<true>(out, z, n, m);
    softmax_xent_scale_row(out, out, n, label, g, s);
}

// The same from the terms and sum the loss's row kept (softmax_xent_row_kept): the same values.
template <class T>
void softmax_xent_grad_row_kept(T* out, const T* terms, T s, std::size_t n, std::size_t label, T g) {
    softmax_xent_scale_row(out, terms, n, label, g, s);
}

// The sum of clip(p[c], lo, hi) over [0, n) (NaN if any p[c] is NaN).
template <class T>
T sum_clipped(const T* p, std::size_t n, T lo, T hi) {
    using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;
    Acc total = 0;
    std::size_t i = 0;
    if constexpr (simd_type<T>) {
        using B = simd<T>;
        constexpr std::size_t W = B::size;
        constexpr std::size_t block = 4096;
        const B lb(lo), hb(hi);
        while (i + W <= n) {
            const std::size_t e = std::min(n, i + block) / W * W;
            B a(T(0));
            for (; i < e; i += W) a += ops::clip::apply(B::load_unaligned(p + i), lb, hb);
            total += Acc(reduce_add(a));
        }
    }
    for (; i < n; ++i) total += Acc(ops::clip::apply(p[i], lo, hi));
    return T(total);
}

// The loss of one row of probabilities: log(sum_c clip(p_c)) - log(clip(p_l)).
template <class T>
T prob_xent_row(const T* p, std::size_t n, std::size_t label, T lo, T hi) {
    using std::log;
    return log(sum_clipped(p, n, lo, hi)) - log(ops::clip::apply(p[label], lo, hi));
}

// Its gradient times g: with s the sum of the clipped row, out[c] = g / s where lo <= p_c <= hi
// (0 where the clip is active, as clip's derivative), and out[l] = g (clip(p_l) / s - 1) / clip(p_l).
template <class T>
void prob_xent_grad_row(T* out, const T* p, std::size_t n, std::size_t label, T g, T lo, T hi) {
    const T s = sum_clipped(p, n, lo, hi);
    const T a = g / s;
    std::size_t i = 0;
    if constexpr (simd_type<T>) {
        using B = simd<T>;
        constexpr std::size_t W = B::size;
        const B ab(a), lb(lo), hb(hi), zero(T(0));
        for (; i + W <= n; i += W) {
            const B x = B::load_unaligned(p + i);
            xsimd::select((x < lb) || (x > hb), zero, ab).store_unaligned(out + i);
        }
    }
    for (; i < n; ++i) out[i] = p[i] < lo || p[i] > hi ? T(0) : a;
    const T pl = p[label];
    if (!(pl < lo || pl > hi)) {
        const T c = ops::clip::apply(pl, lo, hi);
        out[label] = (a * c - g) / c;
    }
}

}  // namespace tfx::kernels
