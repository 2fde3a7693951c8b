#pragma once
// Vectorized reductions that read their input through an elementwise evaluator, so the producer of
// the reduced values (exp(x - m), a*b, ...) runs in the same loop and is never stored.
//
// One algorithm serves every set of axes: walk the input row by row; a row either collapses to one
// value (its last axis is reduced: a SIMD reduction with four accumulators) or is combined
// elementwise into the output row it maps to (its last axis is kept: a SIMD update).
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>

#include "loop.hpp"

namespace tfx::kernels {

struct red_sum {
    static constexpr const char* name = "sum";
    template <class T>
    static T identity() { return T(0); }
    template <class X>
    static X combine(const X& a, const X& b) { return a + b; }
};
struct red_prod {
    static constexpr const char* name = "prod";
    template <class T>
    static T identity() { return T(1); }
    template <class X>
    static X combine(const X& a, const X& b) { return a * b; }
};
struct red_max {
    static constexpr const char* name = "max";
    template <class T>
    static T identity() {
        if constexpr (std::numeric_limits<T>::has_infinity)
            return -std::numeric_limits<T>::infinity();
        else
            return std::numeric_limits<T>::lowest();
    }
    template <class X>
    static X combine(const X& a, const X& b) { return ops::detail::vmax(a, b); }
};
struct red_min {
    static constexpr const char* name = "min";
    template <class T>
    static T identity() {
        if constexpr (std::numeric_limits<T>::has_infinity)
            return std::numeric_limits<T>::infinity();
        else
            return std::numeric_limits<T>::max();
    }
    template <class X>
    static X combine(const X& a, const X& b) { return ops::detail::vmin(a, b); }
};

namespace detail {
template <std::size_t H>
struct lanes_rotated {
    static constexpr std::size_t get(std::size_t i, std::size_t n) { return (i + H) % n; }
};
// Combines each lane with the lane H further on, for H = W/2, W/4, ..., 1: lane 0 ends with all.
template <class K, std::size_t H, class B>
inline B fold_lanes(B a) {
    if constexpr (H == 0) {
        return a;
    } else {
        using U = xsimd::batch<std::conditional_t<sizeof(typename B::value_type) == 4, std::uint32_t, std::uint64_t>,
                               typename B::arch_type>;
        return fold_lanes<K, H / 2>(K::combine(a, xsimd::swizzle(a, xsimd::make_batch_constant<U, lanes_rotated<H>>())));
    }
}
}  // namespace detail

// The lanes of b combined by K: a sum by xsimd's, others in log2(W) steps of a lane rotation and a
// combine (a scalar walk over the lanes was a chain of W dependent operations).
template <class K, class T, class B>
inline T horizontal(const B& b) {
    if constexpr (std::is_same_v<K, red_sum>) {
        return reduce_add(b);
    } else {
        return detail::fold_lanes<K, B::size / 2>(b).get(0);
    }
}

// Reduce values [i, n) of one row of ev (already seeked). Flattened, as simd_row (loop.hpp).
template <class K, class T, class Ev>
[[gnu::flatten]] inline T reduce_range(std::size_t i, std::size_t n, const Ev& ev, bool use_simd) {
    T r = K::template identity<T>();
    if constexpr (Ev::template simd_as<T>) {
        if (use_simd) {
            using B = simd<T>;
            constexpr std::size_t W = B::size;
            if (n - i >= W) {
                B a0(K::template identity<T>()), a1 = a0, a2 = a0, a3 = a0;
                for (; i + 4 * W <= n; i += 4 * W) {
                    a0 = K::combine(a0, ev.template load<B>(i));
                    a1 = K::combine(a1, ev.template load<B>(i + W));
                    a2 = K::combine(a2, ev.template load<B>(i + 2 * W));
                    a3 = K::combine(a3, ev.template load<B>(i + 3 * W));
                }
                for (; i + W <= n; i += W) a0 = K::combine(a0, ev.template load<B>(i));
                r = horizontal<K, T>(K::combine(K::combine(a0, a1), K::combine(a2, a3)));
            }
        }
    }
    for (; i < n; ++i) r = K::combine(r, ev.get(i));
    return r;
}

// Reduce one row of n values of ev (already seeked). Long float sums are taken in blocks whose
// totals are added in double, so the error does not grow with the row (1e6 terms: ~1e-7, not 1e-4).
template <class K, class T, class Ev>
inline T reduce_row(std::size_t n, const Ev& ev, bool use_simd) {
    constexpr std::size_t block = 4096;
    if constexpr (std::is_same_v<K, red_sum> && std::is_same_v<T, float>) {
        if (n > block) {
            double total = 0;
            for (std::size_t i = 0; i < n; i += block) total += double(reduce_range<K, T>(i, std::min(n, i + block), ev, use_simd));
            return T(total);
        }
    }
    return reduce_range<K, T>(0, n, ev, use_simd);
}

// Combine values [i, n) of one row of ev into out[i..n).
template <class K, class T, class Ev>
inline void combine_row(T* out, std::size_t n, const Ev& ev, bool use_simd, std::size_t i = 0) {
    if constexpr (Ev::template simd_as<T>) {
        if (use_simd) {
            using B = simd<T>;
            constexpr std::size_t W = B::size;
            for (; i + W <= n; i += W)
                K::combine(B::load_unaligned(out + i), ev.template load<B>(i)).store_unaligned(out + i);
        }
    }
    for (; i < n; ++i) out[i] = K::combine(out[i], ev.get(i));
}

// out (the input's shape with the masked axes removed, contiguous) = reduction K of the values of
// ev over the axes where mask is true. ev is an unbound evaluator of the input (shape xd).
//
// A large reduction that keeps many outputs is split over the thread pool (core/parallel.hpp) by
// its outputs, so that every output value is combined from the same values in the same order as on
// one thread:
//  - only the last axis reduced ([N, C] -> [N], softmax's sums): ranges of rows, one output each;
//  - the last axis kept ([N, F] -> [F], a bias gradient): ranges of the last axis, whose bounds are
//    multiples of the SIMD width, each thread walking every row over its columns.
// Each thread walks its own copy of the (bound) evaluator. Other reductions, and a reduction of
// everything to one value, stay on one thread (splitting a sum would change its rounding).
template <class K, class T, std::size_t RX, class Ev>
void reduce(T* out, const dims_t<RX>& xd, const std::array<bool, RX>& mask, Ev& ev) {
    ev.bind(xd);
    std::size_t out_n = 1;
    for (std::size_t k = 0; k < RX; ++k)
        if (!mask[k]) out_n *= xd[k];
    std::fill(out, out + out_n, K::template identity<T>());
    const std::size_t n = dims_size(xd);
    if (n == 0) return;
    if constexpr (RX == 0) {
        out[0] = ev.get(0);
    } else {
        const bool use_simd = ev.simd_valid();
        bool all = true;
        for (bool m : mask) all = all && m;
        if (all && ev.flat_ok(xd)) {
            ev.seek(dims_t<RX>{});
            out[0] = reduce_row<K, T>(n, ev, use_simd);
            return;
        }
        // Output stride of each input axis: 0 for the reduced ones.
        std::array<std::size_t, RX> ostride{};
        std::size_t s = 1;
        for (std::size_t k = RX; k-- > 0;)
            if (!mask[k]) {
                ostride[k] = s;
                s *= xd[k];
            }
        const std::size_t inner = xd[RX - 1], rows = n / inner;
        const bool last_reduced = mask[RX - 1];
        // Rows [r0, r1), columns [c0, c1) of the last axis (all of it when it is reduced): one
        // out-of-line function for the serial walk and for each thread's part.
        auto walk = [&](Ev& e, std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1) TFX_NOINLINE {
            for_rows(xd, r0, r1, [&](std::size_t, const dims_t<RX>& idx) {
                e.seek(idx);
                std::size_t off = 0;
                for (std::size_t k = 0; k + 1 < RX; ++k) off += idx[k] * ostride[k];
                if (last_reduced)
                    out[off] = K::combine(out[off], reduce_row<K, T>(inner, e, use_simd));
                else
                    combine_row<K, T>(out + off, c1, e, use_simd, c0);
            });
        };
        if constexpr (std::is_copy_constructible_v<Ev> && sizeof(Ev) <= detail::parallel_evaluator_bytes) {
            const std::size_t width = n >= detail::parallel_elementwise_min ? tfx::detail::parallel_width() : 1;
            bool leading_kept = true;
            for (std::size_t k = 0; k + 1 < RX; ++k) leading_kept = leading_kept && !mask[k];
            if (width > 1 && last_reduced && leading_kept) {
                const std::size_t tasks = std::min({width, rows, n / detail::parallel_elementwise_chunk});
                if (tasks > 1) {
                    tfx::detail::parallel_for(tasks, [&](std::size_t t) {
                        Ev local = ev;
                        walk(local, rows * t / tasks, rows * (t + 1) / tasks, 0, inner);
                    });
                    return;
                }
            }
            if (width > 1 && !last_reduced) {
                // Columns per task: whole SIMD batches, and enough of them to be worth a thread.
                constexpr std::size_t W = simd_width<T>;
                const std::size_t min_cols = std::max<std::size_t>(4 * W, 64);
                const std::size_t tasks = std::min({width, inner / min_cols, n / detail::parallel_elementwise_chunk});
                if (tasks > 1) {
                    const std::size_t cols = (inner / tasks + W - 1) / W * W;
                    tfx::detail::parallel_for(tasks, [&](std::size_t t) {
                        const std::size_t c0 = t * cols, c1 = std::min(inner, c0 + cols);
                        if (c0 >= c1) return;
                        Ev local = ev;
                        walk(local, 0, rows, c0, c1);
                    });
                    return;
                }
            }
        }
        walk(ev, 0, rows, 0, inner);
    }
}

// Index of the first largest (Max) or smallest value along one axis of a contiguous block x of
// shape [outer, len, inner]; out has shape [outer, inner].
template <bool Max, class T, class I>
void arg_reduce(I* out, const T* x, std::size_t outer, std::size_t len, std::size_t inner) {
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t j = 0; j < inner; ++j) {
            const T* p = x + o * len * inner + j;
            std::size_t best = 0;
            T bv = p[0];
            for (std::size_t a = 1; a < len; ++a) {
                T v = p[a * inner];
                if (Max ? v > bv : v < bv) {
                    bv = v;
                    best = a;
                }
            }
            out[o * inner + j] = I(best);
        }
}

}  // namespace tfx::kernels
