#pragma once
// The one elementwise SIMD loop. The output is walked row by row (the last axis is the contiguous
// inner loop, broadcasts are outer loops); when nothing is broadcast the whole tensor is one row.
// Each row runs a SIMD body of full batches (two per iteration, for instruction-level parallelism)
// and a tail: one partial batch by masked loads and stores where the target has them (AVX2,
// AVX-512; kernels/tail.hpp), so a row of 10 classes is one vector exp, not ten calls of libm's;
// scalar elsewhere. The tail's idle lanes compute on ones and are not stored.
#include <type_traits>
#include <utility>

#include "../core/config.hpp"
#include "../core/parallel.hpp"
#include "../core/shape.hpp"
#include "tail.hpp"

namespace tfx::kernels {

// out[j] = ev(j) for j in [i, n): out points at the row's start. Flattened: everything the
// evaluator calls (xsimd's exp, tanh, ...) is inlined into the loop. In a large translation unit
// GCC's inlining budget otherwise runs out and leaves such a function out of line, a call per batch
// (logsumexp's gradient pass took twice as long in bench_autodiff as in a small program).
template <class T, class Ev>
[[gnu::flatten]] inline void simd_row(T* out, std::size_t n, const Ev& ev, std::size_t i = 0) {
    using B = simd<T>;
    constexpr std::size_t W = B::size;
    for (; i + 2 * W <= n; i += 2 * W) {
        B x0 = ev.template load<B>(i);
        B x1 = ev.template load<B>(i + W);
        x0.store_unaligned(out + i);
        x1.store_unaligned(out + i + W);
    }
    for (; i + W <= n; i += W) ev.template load<B>(i).store_unaligned(out + i);
    if constexpr (detail::masked_tail<T>) {
        if (i < n) detail::store_tail(out + i, n - i, B(ev.template load_tail<B>(i, n - i)));
    } else {
        for (; i < n; ++i) out[i] = ev.get(i);
    }
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

// Rows [r0, r1) of an R-dimensional iteration space: f(row_index, idx) as in for_each_row.
template <std::size_t R, class F>
inline void for_rows(const dims_t<R>& d, std::size_t r0, std::size_t r1, F&& f) {
    dims_t<R> idx{};
    for (std::size_t k = R - 1, q = r0; k-- > 0;) {
        idx[k] = q % d[k];
        q /= d[k];
    }
    for (std::size_t r = r0; r < r1; ++r) {
        f(r, idx);
        for (std::size_t k = R - 1; k-- > 0;) {
            if (++idx[k] < d[k]) break;
            idx[k] = 0;
        }
    }
}

namespace detail {
// Elements from which an elementwise evaluation is split over the thread pool, and the least each
// thread gets: below that a region costs more than it saves.
inline constexpr std::size_t parallel_elementwise_min = std::size_t(1) << 16;
inline constexpr std::size_t parallel_elementwise_chunk = std::size_t(1) << 15;
// An evaluator (the state of a walk over rows) copied per thread when the rows are split; larger
// ones (inline buffers of static intermediates) stay on one thread.
inline constexpr std::size_t parallel_evaluator_bytes = 1024;

inline std::size_t elementwise_tasks(std::size_t n) noexcept {
    if (n < parallel_elementwise_min) return 1;
    return std::min(tfx::detail::parallel_width(), n / parallel_elementwise_chunk);
}
}  // namespace detail

// Write the (bound-to-nothing-yet) evaluator ev over the output block out of shape d. Large blocks
// are split over the thread pool: a flat block into ranges whose bounds are multiples of the SIMD
// width (each value is computed by the same SIMD or scalar code as on one thread), a block of rows
// into ranges of rows, each walked by its own copy of the evaluator.
template <class T, std::size_t R, class Ev>
void run_elementwise(T* out, const dims_t<R>& d, Ev& ev) {
    ev.bind(d);
    const std::size_t n = dims_size(d);
    if (n == 0) return;
    if constexpr (R == 0) {
        out[0] = ev.get(0);
    } else {
        const bool use_simd = ev.simd_valid();
        const std::size_t tasks = detail::elementwise_tasks(n);
        // The walk of a range is one out-of-line function, called once on one thread or once per
        // range on several: the SIMD loop of each expression is compiled once.
        if (ev.flat_ok(d)) {
            ev.seek(dims_t<R>{});
            // A flat block's walk has no state after seek: the threads share ev (const).
            auto range = [&](std::size_t from, std::size_t to) TFX_NOINLINE { row(out, to, std::as_const(ev), use_simd, from); };
            if (tasks <= 1) return range(0, n);
            constexpr std::size_t W = 2 * simd_width<T>;
            const std::size_t chunk = (n / tasks + W - 1) / W * W;
            tfx::detail::parallel_for(tasks, [&](std::size_t t) {
                const std::size_t from = t * chunk;
                if (from < n) range(from, std::min(n, from + chunk));
            });
            return;
        }
        const std::size_t inner = d[R - 1];
        const std::size_t rows = n / inner;
        auto rows_range = [&](Ev& e, std::size_t r0, std::size_t r1) TFX_NOINLINE {
            for_rows(d, r0, r1, [&](std::size_t r, const dims_t<R>& idx) {
                e.seek(idx);
                row(out + r * inner, inner, e, use_simd);
            });
        };
        if constexpr (R > 1 && std::is_copy_constructible_v<Ev> && sizeof(Ev) <= detail::parallel_evaluator_bytes) {
            const std::size_t split = std::min(tasks, rows);
            if (split > 1) {
                tfx::detail::parallel_for(split, [&](std::size_t t) {
                    Ev local = ev;
                    rows_range(local, rows * t / split, rows * (t + 1) / split);
                });
                return;
            }
        }
        rows_range(ev, 0, rows);
    }
}

}  // namespace tfx::kernels
