#pragma once
// The one elementwise SIMD loop. The output is walked row by row (the last axis is the contiguous
// inner loop, broadcasts are outer loops); when nothing is broadcast the whole tensor is one row.
// Each row runs a SIMD body of full batches (two per iteration, for instruction-level parallelism)
// and a scalar tail.
#include "../core/config.hpp"
#include "../core/shape.hpp"

namespace tfx::kernels {

// out[j] = ev(j) for j in [i, n): out points at the row's start.
template <class T, class Ev>
inline void simd_row(T* out, std::size_t n, const Ev& ev, std::size_t i = 0) {
    using B = simd<T>;
    constexpr std::size_t W = B::size;
    for (; i + 2 * W <= n; i += 2 * W) {
        B x0 = ev.template load<B>(i);
        B x1 = ev.template load<B>(i + W);
        x0.store_unaligned(out + i);
        x1.store_unaligned(out + i + W);
    }
    for (; i + W <= n; i += W) ev.template load<B>(i).store_unaligned(out + i);
    for (; i < n; ++i) out[i] = ev.get(i);
}

template <class T, class Ev>
inline void scalar_row(T* out, std::size_t n, const Ev& ev, std::size_t i = 0) {
    for (; i < n; ++i) out[i] = ev.get(i);
}

template <class T, class Ev>
inline void row(T* out, std::size_t n, const Ev& ev, bool use_simd, std::size_t from = 0) {
    if constexpr (Ev::template simd_as<T>) {
        if (use_simd) return simd_row(out, n, ev, from);
    }
    scalar_row(out, n, ev, from);
}

// Visit every row of an R-dimensional iteration space: f(row_index, idx) with idx the row's
// multi-index (its last entry is 0).
template <std::size_t R, class F>
inline void for_each_row(const dims_t<R>& d, F&& f) {
    static_assert(R > 0);
    std::size_t rows = 1;
    for (std::size_t k = 0; k + 1 < R; ++k) rows *= d[k];
    dims_t<R> idx{};
    for (std::size_t r = 0; r < rows; ++r) {
        f(r, idx);
        for (std::size_t k = R - 1; k-- > 0;) {
            if (++idx[k] < d[k]) break;
            idx[k] = 0;
        }
    }
}

// Write the (bound-to-nothing-yet) evaluator ev over the output block out of shape d.
template <class T, std::size_t R, class Ev>
void run_elementwise(T* out, const dims_t<R>& d, Ev& ev) {
    ev.bind(d);
    const std::size_t n = dims_size(d);
    if (n == 0) return;
    if constexpr (R == 0) {
        out[0] = ev.get(0);
    } else {
        const bool use_simd = ev.simd_valid();
        if (ev.flat_ok(d)) {
            ev.seek(dims_t<R>{});
            row(out, n, ev, use_simd);
            return;
        }
        const std::size_t inner = d[R - 1];
        for_each_row(d, [&](std::size_t r, const dims_t<R>& idx) {
            ev.seek(idx);
            row(out + r * inner, inner, ev, use_simd);
        });
    }
}

}  // namespace tfx::kernels
