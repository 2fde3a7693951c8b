#pragma once
// Matrix product C = A * B: the BLIS five-loop structure around one register-blocked micro-kernel,
// plus a fully unrolled register path (gemm_small) for small static shapes.
#include <tfx/core/config.hpp>
#include <tfx/core/parallel.hpp>
#include <tfx/kernels/tail.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace tfx::kernels {

// A strided matrix operand: element (i, j) is p[i*rs + j*cs]. A transpose is a swap of rs and cs,
// so transposed operands are absorbed by packing.
template <class T>
struct matrix_ref {
    const T* p;
    std::ptrdiff_t rs;
    std::ptrdiff_t cs;
};

struct no_epilogue {
    void operator()(std::size_t, std::size_t, std::size_t, std::size_t) const noexcept {}
};

namespace detail {
// An epilogue with its type erased: one indirect call per finished MR x NR tile, a few ns against
// the tile's hundreds of FMAs. The five loops are then compiled once per element type and register
// block, not once per fused expression (each of which used to instantiate them whole, with every
// micro-kernel variant: a model's training step has several).
struct epilogue_ref {
    void* obj = nullptr;
    void (*fn)(void*, std::size_t, std::size_t, std::size_t, std::size_t) = nullptr;

    template <class Epi>
    static epilogue_ref of(Epi& epi) noexcept {
        if constexpr (std::is_same_v<std::remove_cv_t<Epi>, no_epilogue>) {
            return {};
        } else {
            return {const_cast<void*>(static_cast<const void*>(std::addressof(epi))),
                    [](void* o, std::size_t i0, std::size_t j0, std::size_t rows, std::size_t cols) {
                        (*static_cast<Epi*>(o))(i0, j0, rows, cols);
                    }};
        }
    }
};

// Calls f(integral_constant<0>) ... f(integral_constant<N-1>): a compile-time loop, for dispatch on
// a runtime count to a template and for indices that must be constants (registers, not memory).
template <class F, std::size_t... I>
[[gnu::always_inline]] inline void unroll_impl(F&& f, std::index_sequence<I...>) {
    (f(std::integral_constant<std::size_t, I>{}), ...);
}
template <std::size_t N, class F>
[[gnu::always_inline]] inline void unroll(F&& f) {
    unroll_impl(f, std::make_index_sequence<N>{});
}

// ---------------------------------------------------------------------------------------------
// Register blocking, the only part that depends on the SIMD width. Each k step broadcasts MR values
// of A against NV batches of a B row: MR*NV accumulators + NV B batches + 1 broadcast must fit the
// register file (32 vector registers with AVX-512, 16 with AVX2/SSE/NEON). With AVX-512 on Zen 4,
// 6x4 measured ahead of 14x2, 12x2 and 8x3 (fewest loads per FMA: 10 per 24) and pads the MLP
// shapes (m = 32, n = 128) least.
template <class T>
struct register_block {
    static constexpr std::size_t width = simd<T>::size;
    static constexpr std::size_t mr = 6;
    static constexpr std::size_t nv = width * sizeof(T) >= 64 ? 4 : 2;
    static constexpr std::size_t nr = nv * width;
};

// ---------------------------------------------------------------------------------------------
// Cache sizes, queried once. Virtual machines sometimes report nonsense (0, or a shared L3 ten
// times too big), hence the fallbacks and clamps.
struct cache_info {
    std::size_t l1, l1_ways, l2, l2_ways, l3;
};

inline std::size_t sysconf_or([[maybe_unused]] int name, std::size_t fallback) noexcept {
#if __has_include(<unistd.h>) && defined(_SC_LEVEL1_DCACHE_SIZE)
    const long v = ::sysconf(name);
    return v > 0 ? std::size_t(v) : fallback;
#else
    return fallback;
#endif
}

inline const cache_info& caches() noexcept {
    static const cache_info info = [] {
        cache_info c{32 * 1024, 8, 512 * 1024, 8, 8 * 1024 * 1024};
#if __has_include(<unistd.h>) && defined(_SC_LEVEL1_DCACHE_SIZE)
        c.l1 = sysconf_or(_SC_LEVEL1_DCACHE_SIZE, c.l1);
        c.l1_ways = sysconf_or(_SC_LEVEL1_DCACHE_ASSOC, c.l1_ways);
        c.l2 = sysconf_or(_SC_LEVEL2_CACHE_SIZE, c.l2);
        c.l2_ways = sysconf_or(_SC_LEVEL2_CACHE_ASSOC, c.l2_ways);
        c.l3 = sysconf_or(_SC_LEVEL3_CACHE_SIZE, c.l3);
#endif
        c.l1 = std::clamp<std::size_t>(c.l1, 16 * 1024, 256 * 1024);
        c.l1_ways = std::clamp<std::size_t>(c.l1_ways, 2, 32);
        c.l2 = std::clamp<std::size_t>(c.l2, 128 * 1024, 8 * 1024 * 1024);
        c.l2_ways = std::clamp<std::size_t>(c.l2_ways, 4, 32);
        c.l3 = std::clamp<std::size_t>(c.l3, c.l2, 64 * 1024 * 1024);
        return c;
    }();
    return info;
}

struct block_sizes {
    std::size_t kc, mc, nc;
};

// Block sizes from the cache sizes, after the BLIS analytic model (Low et al., TOMS 2016), with one
// measured change. The model keeps the KCxNR micro-panel of B in L1 next to the MRxKC micro-panel
// of A, which gives KC ~ 170 for the 6x4 AVX-512 kernel; but that kernel needs only 4 B loads per
// 24 FMAs, which the L2 sustains, while a small KC costs k/KC read-modify-write passes over C
// (n = 2048: 92 GFLOPS at KC = 112, 106 at 512). So KC is the larger of the L1 bound and one L2
// way for the B micro-panel; the MCxKC block of A takes the other L2 ways but one (left for C and
// streaming), and the KCxNC block of B half of the shared L3.
template <class T, std::size_t MR, std::size_t NR>
inline block_sizes analytic_blocks(const cache_info& c) noexcept {
    const std::size_t way1 = c.l1 / c.l1_ways;
    const auto ways_a1 = std::size_t(double(c.l1_ways - 1) / (1.0 + double(NR) / double(MR)));
    const std::size_t kc_l1 = std::max<std::size_t>(ways_a1, 1) * way1 / (MR * sizeof(T));
    const std::size_t way2 = c.l2 / c.l2_ways;
    const std::size_t kc_l2 = way2 / (NR * sizeof(T));
    const std::size_t kc = std::clamp<std::size_t>(std::max(kc_l1, kc_l2) & ~std::size_t(7), 128, 1024);

    const std::size_t ways_b = (kc * NR * sizeof(T) + way2 - 1) / way2;
    const std::size_t ways_a = c.l2_ways > ways_b + 2 ? c.l2_ways - ways_b - 1 : 1;
    std::size_t mc = ways_a * way2 / (kc * sizeof(T));
    mc = std::max<std::size_t>(mc / MR, 2) * MR;

    std::size_t nc = (c.l3 / 2) / (kc * sizeof(T));
    nc = std::max<std::size_t>(nc / NR, 1) * NR;
    return {kc, mc, nc};
}

template <class T>
inline const block_sizes& default_blocks() noexcept {
    using rb = register_block<T>;
    static const block_sizes b = analytic_blocks<T, rb::mr, rb::nr>(caches());
    return b;
}

// ---------------------------------------------------------------------------------------------
// Packing buffers: thread_local, 64-byte aligned, grown on demand and then reused, so a steady
// state of same-sized calls does not touch the heap.
template <class T>
struct pack_buffer {
    T* data = nullptr;
    std::size_t capacity = 0;
    pack_buffer() = default;
    pack_buffer(const pack_buffer&) = delete;
    pack_buffer& operator=(const pack_buffer&) = delete;
    ~pack_buffer() { release(); }
    void release() noexcept {
        if (data) ::operator delete(data, std::align_val_t{alignment});
        data = nullptr;
        capacity = 0;
    }
    T* get(std::size_t n) {
        if (n > capacity) {
            release();
            data = static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{alignment}));
            capacity = n;
        }
        return data;
    }
};

template <class T, int Which>
inline pack_buffer<T>& buffer() noexcept {
    static thread_local pack_buffer<T> b;
    return b;
}

// ---------------------------------------------------------------------------------------------
// Operands of the micro-kernel. A panel of MR rows of A is either in row layout (element (i, p)
// at p[i*s + p]) or k-major (at p[p*s + i]); a panel of B has row p at p + p*s. Row-major and
// column-major operands of small problems are read in place through these strides, with no copy;
// larger ones, edge rows of A and other strides are packed so that blocks are contiguous in cache.
template <class T>
struct panel {
    const T* p;
    std::ptrdiff_t s;
};

// Copies n values with whole batches and, for the rest, two overlapping fixed-size moves (as
// memcpy does for short sizes): ragged edges are copied every k step, so a byte loop would cost
// more than the FMAs it feeds.
template <class T>
inline void copy_short(T* __restrict d, const T* __restrict s, std::size_t n) noexcept {
    constexpr std::size_t W = simd<T>::size;
    for (; n >= W; n -= W, d += W, s += W) simd<T>::load_unaligned(s).store_unaligned(d);
    auto* dc = reinterpret_cast<unsigned char*>(d);
    const auto* sc = reinterpret_cast<const unsigned char*>(s);
    const std::size_t bytes = n * sizeof(T);
    auto two = [&](auto size) {
        std::memcpy(dc, sc, size);
        std::memcpy(dc + bytes - size, sc + bytes - size, size);
    };
    if (bytes >= 32) {
        two(std::integral_constant<std::size_t, 32>{});
    } else if (bytes >= 16) {
        two(std::integral_constant<std::size_t, 16>{});
    } else if (bytes >= 8) {
        two(std::integral_constant<std::size_t, 8>{});
    } else if (bytes >= 4) {
        two(std::integral_constant<std::size_t, 4>{});
    }
}

// Packs rows (<= MR) x kc of A into one MR-row panel, row layout (stride kc) when A is row-major,
// k-major (stride MR) otherwise: both common cases are then plain copies. Rows past `rows` are
// zero, so the micro-kernel needs no row edge case.
template <std::size_t MR, class T>
inline void pack_a_panel(std::size_t rows, std::size_t kc, const T* a, std::ptrdiff_t rs,
                         std::ptrdiff_t cs, T* __restrict dst) noexcept {
    if (cs == 1) {
        for (std::size_t i = 0; i < rows; ++i) std::memcpy(dst + i * kc, a + std::ptrdiff_t(i) * rs, kc * sizeof(T));
        std::fill(dst + rows * kc, dst + MR * kc, T(0));
        return;
    }
    for (std::size_t p = 0; p < kc; ++p) {
        const T* src = a + std::ptrdiff_t(p) * cs;
        T* d = dst + p * MR;
        if (rs == 1) {
            std::memcpy(d, src, rows * sizeof(T));
        } else {
            for (std::size_t i = 0; i < rows; ++i) d[i] = src[std::ptrdiff_t(i) * rs];
        }
        for (std::size_t i = rows; i < MR; ++i) d[i] = T(0);
    }
}

template <std::size_t MR, class T>
inline void pack_a(std::size_t mc, std::size_t kc, const T* a, std::ptrdiff_t rs, std::ptrdiff_t cs,
                   T* __restrict dst) noexcept {
    if (cs != 1 && rs == 1) {
        // A transposed operand (x^T in a weight gradient): its k-th column is contiguous. Walk each
        // once, MR values (a constant-size copy) into every full panel: panel by panel, the walk
        // revisited the same lines a row stride apart, which alias in L1 and were read from L2
        // once per panel (h^T dl, [512, 256] x [256, 10]: 100 -> 82 us). The copies of variable
        // length it made cost four times the product's FMAs in instructions.
        const std::size_t full = mc / MR;
        for (std::size_t p = 0; p < kc; ++p) {
            const T* src = a + std::ptrdiff_t(p) * cs;
            T* d = dst + p * MR;
            for (std::size_t q = 0; q < full; ++q) std::memcpy(d + q * MR * kc, src + q * MR, MR * sizeof(T));
        }
        if (full * MR < mc) pack_a_panel<MR>(mc - full * MR, kc, a + std::ptrdiff_t(full * MR), rs, cs, dst + full * MR * kc);
        return;
    }
    for (std::size_t i0 = 0; i0 < mc; i0 += MR) {
        pack_a_panel<MR>(std::min(MR, mc - i0), kc, a + std::ptrdiff_t(i0) * rs, rs, cs, dst);
        dst += MR * kc;
    }
}

// In-register transpose of W batches of W values, by log2(W) butterfly stages: at distance H,
// rows i and i + H exchange the upper H-halves of the lower H-halves of each 2H group of lanes
// (a swizzle and a select each way). Packing a column-major B this way costs a few shuffles per
// batch instead of one store per value.
template <std::size_t H>
struct lanes_from_below {
    static constexpr std::size_t get(std::size_t i, std::size_t) { return i & H ? i - H : i; }
};
template <std::size_t H>
struct lanes_from_above {
    static constexpr std::size_t get(std::size_t i, std::size_t) { return i & H ? i : i + H; }
};
template <std::size_t H>
struct lower_lanes {
    static constexpr bool get(std::size_t i, std::size_t) { return !(i & H); }
};

// (GCC 12 flags its own _mm512_undefined_ps() inside the permute intrinsic as uninitialized.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
template <class T, std::size_t H = simd<T>::size / 2>
inline void transpose(simd<T>* r) noexcept {
    if constexpr (H >= 1) {
        using V = simd<T>;
        using U = xsimd::batch<std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>, typename V::arch_type>;
        constexpr auto below = xsimd::make_batch_constant<U, lanes_from_below<H>>();
        constexpr auto above = xsimd::make_batch_constant<U, lanes_from_above<H>>();
        constexpr auto lower = xsimd::make_batch_bool_constant<V, lower_lanes<H>>();
        for (std::size_t i = 0; i < V::size; ++i) {
            if (i & H) continue;
            const V x = r[i], y = r[i + H];
            r[i] = xsimd::select(lower, x, xsimd::swizzle(y, below));
            r[i + H] = xsimd::select(lower, xsimd::swizzle(x, above), y);
        }
        transpose<T, H / 2>(r);
    }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Packs the kc x nc block of B into panels of NR columns: for each p, the NR values of row p
// contiguously. The last panel is only as wide as its columns rounded up to whole batches (W),
// zero-padded, so a narrow edge runs a narrower kernel and multiplies no extra zeros.
template <std::size_t NR, std::size_t W, class T>
inline void pack_b(std::size_t kc, std::size_t nc, const T* b, std::ptrdiff_t rs, std::ptrdiff_t cs,
                   T* __restrict dst) noexcept {
    for (std::size_t j0 = 0; j0 < nc; j0 += NR) {
        const std::size_t cols = std::min(NR, nc - j0);
        const std::size_t width = (cols + W - 1) / W * W;
        const T* src = b + std::ptrdiff_t(j0) * cs;
        if (cs == 1 && cols == width) {
            for (std::size_t p = 0; p < kc; ++p) {
                std::memcpy(dst + p * width, src + std::ptrdiff_t(p) * rs, width * sizeof(T));
            }
        } else if (cs == 1) {
            // The whole batches, then the last one by a masked load, zero past the columns.
            const std::size_t last = width - W;
            for (std::size_t p = 0; p < kc; ++p) {
                T* d = dst + p * width;
                const T* s = src + std::ptrdiff_t(p) * rs;
                for (std::size_t q = 0; q < last; q += W) simd<T>::load_unaligned(s + q).store_aligned(d + q);
                load_tail(s + last, cols - last, T(0)).store_aligned(d + last);
            }
        } else {
            // Column-major B (x * W^T): blocks of W columns are transposed in registers, W rows at
            // a time and the last kc % W rows from masked loads (a [10, 32] W^T took 320 scalar
            // copies a call); the rest, and other strides, walk each column in the source.
            const std::size_t jv = rs == 1 ? cols / W * W : 0;  // columns in whole blocks
            const std::size_t pv = kc / W * W;
            for (std::size_t j = 0; j < jv; j += W) {
                for (std::size_t p = 0; p < kc; p += W) {
                    const std::size_t rows = std::min(W, kc - p);
                    simd<T> r[W];
                    for (std::size_t q = 0; q < W; ++q) {
                        const T* s = src + std::ptrdiff_t(j + q) * cs + std::ptrdiff_t(p);
                        r[q] = p < pv ? simd<T>::load_unaligned(s) : load_tail(s, rows, T(0));
                    }
                    transpose(r);
                    for (std::size_t q = 0; q < rows; ++q) r[q].store_aligned(dst + (p + q) * width + j);
                }
            }
            for (std::size_t j = jv; j < cols; ++j) {
                const T* s = src + std::ptrdiff_t(j) * cs;
                for (std::size_t p = 0; p < kc; ++p) dst[p * width + j] = s[std::ptrdiff_t(p) * rs];
            }
            for (std::size_t p = 0; p < kc && cols < width; ++p) {
                for (std::size_t q = cols; q < width; ++q) dst[p * width + q] = T(0);
            }
        }
        dst += width * kc;
    }
}

// The micro-kernel: an MR x (NV*W) tile of C, accumulated in registers over kc. Overwrites the
// tile (first k block) or adds to it. Plain loops with constant bounds, fully unrolled by the
// compiler, keep the accumulators in registers at a fraction of the compile time of templates.
template <class T, std::size_t MR, std::size_t NV, bool KMajorA>
[[gnu::hot]] inline void micro_kernel(std::size_t kc, panel<T> a, panel<T> b, T* __restrict c,
                                      std::size_t ldc, bool accumulate) noexcept {
    using V = simd<T>;
    constexpr std::size_t W = V::size;
    constexpr std::size_t lines = (NV * W * sizeof(T) + 63) / 64;
    // Fetch the C tile now: the k loop hides the latency and the stores below then hit L1.
#pragma GCC unroll 16
    for (std::size_t i = 0; i < MR; ++i) {
#pragma GCC unroll 16
        for (std::size_t l = 0; l < lines; ++l) __builtin_prefetch(c + i * ldc + l * (64 / sizeof(T)), 1);
        __builtin_prefetch(c + i * ldc + NV * W - 1, 1);
    }
    V acc[MR][NV];
#pragma GCC unroll 16
    for (std::size_t i = 0; i < MR; ++i) {
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NV; ++j) acc[i][j] = V(T(0));
    }
    // Row layout: one pointer per row, all stepped by 1. K-major: one pointer, stepped by s.
    const T* __restrict row[MR];
#pragma GCC unroll 16
    for (std::size_t i = 0; i < MR; ++i) row[i] = a.p + std::ptrdiff_t(i) * (KMajorA ? 1 : a.s);
    const T* __restrict bp = b.p;
    for (std::size_t p = 0; p < kc; ++p) {
        V bv[NV];
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NV; ++j) bv[j] = V::load_unaligned(bp + j * W);
#pragma GCC unroll 16
        for (std::size_t i = 0; i < MR; ++i) {
            const V av(KMajorA ? row[0][i] : row[i][p]);
#pragma GCC unroll 16
            for (std::size_t j = 0; j < NV; ++j) acc[i][j] = xsimd::fma(av, bv[j], acc[i][j]);
        }
        if constexpr (KMajorA) row[0] += a.s;
        bp += b.s;
    }
#pragma GCC unroll 16
    for (std::size_t i = 0; i < MR; ++i) {
#pragma GCC unroll 16
        for (std::size_t j = 0; j < NV; ++j) {
            T* q = c + i * ldc + j * W;
            if (accumulate) acc[i][j] += V::load_unaligned(q);
            acc[i][j].store_unaligned(q);
        }
    }
}

// One rows x cols tile of C (rows <= MR, cols <= NV*W): the kernel with just enough batches for
// cols and 2, 4 or MR rows (an edge's A panel is packed and zero-padded), so that an edge wastes
// at most one row of FMAs: with batch 8 the last 2 rows of a 6-row kernel used to be computed as 6
// when narrower than NV batches (tiny step: 0.73 -> 0.69 s / 200k steps, compile time the same).
// Rows or columns the kernel computes beyond the tile go to a scratch tile first.
template <class T, std::size_t MR, std::size_t NV, bool KMajorA>
inline void tile(std::size_t kc, panel<T> a, panel<T> b, T* c, std::size_t ldc, std::size_t rows,
                 std::size_t cols, bool accumulate) noexcept {
    constexpr std::size_t W = simd<T>::size;
    if (rows == MR && cols == NV * W) {
        micro_kernel<T, MR, NV, KMajorA>(kc, a, b, c, ldc, accumulate);
        return;
    }
    const std::size_t nv = (cols + W - 1) / W;
    const std::size_t kr = rows <= 2 && MR > 2 ? 2 : rows <= 4 && MR > 4 ? 4 : MR;
    const bool scratch = rows != kr || cols != nv * W;
    alignas(alignment) T edge[MR * NV * W];
    T* dst = scratch ? edge : c;
    const std::size_t ldd = scratch ? nv * W : ldc;
    const bool acc = accumulate && !scratch;
    unroll<NV>([&](auto e) {
        if (nv != e + 1) return;
        if constexpr (MR > 2) {
            if (kr == 2) micro_kernel<T, 2, e + 1, KMajorA>(kc, a, b, dst, ldd, acc);
        }
        if constexpr (MR > 4) {
            if (kr == 4) micro_kernel<T, 4, e + 1, KMajorA>(kc, a, b, dst, ldd, acc);
        }
        if (kr == MR) micro_kernel<T, MR, e + 1, KMajorA>(kc, a, b, dst, ldd, acc);
    });
    if (scratch) {
        for (std::size_t i = 0; i < rows; ++i) {
            T* out = c + i * ldc;
            const T* in = edge + i * ldd;
            if (accumulate) {
                for (std::size_t j = 0; j < cols; ++j) out[j] += in[j];
            } else {
                copy_short(out, in, cols);
            }
        }
    }
}

// The five loops. Block sizes shrink to the problem and are balanced, so that k = KC + 1 does not
// cost a nearly empty second pass.
// Never inlined or cloned: one copy per T serves every caller (otherwise GCC copied it into each
// caller, or cloned it for each constant epilogue).
template <class T, std::size_t MR, std::size_t NV>
[[gnu::noinline, gnu::noclone]] void gemm_blocked(std::size_t m, std::size_t n, std::size_t k, matrix_ref<T> a,
                                                  matrix_ref<T> b, T* c, std::size_t ldc, epilogue_ref epi,
                                                  const block_sizes& bs) {
    constexpr std::size_t W = simd<T>::size;
    constexpr std::size_t NR = NV * W;
    auto balanced = [](std::size_t total, std::size_t block, std::size_t unit) {
        const std::size_t passes = (total + block - 1) / block;
        const std::size_t per = (total + passes - 1) / passes;
        return (per + unit - 1) / unit * unit;
    };
    const std::size_t KC = balanced(k, bs.kc, 1);
    const std::size_t MC = balanced(m, bs.mc, MR);
    const std::size_t NC = balanced(n, bs.nc, NR);

    // Small blocks of unit-stride operands are read in place: their span in memory is small enough
    // not to thrash the L2 or the TLB, and packing them would cost as much as the product.
    const std::size_t in_place_span = caches().l2 / 4 / sizeof(T);
    auto span = [](std::size_t rows, std::ptrdiff_t ld, std::size_t cols) {
        return (rows - 1) * std::size_t(ld < 0 ? -ld : ld) + cols;
    };
    const bool a_rows = a.cs == 1;  // row layout, else k-major
    const bool a_direct = a_rows ? span(std::min(MC, m), a.rs, KC) <= in_place_span
                                 : a.rs == 1 && span(KC, a.cs, std::min(MC, m)) <= in_place_span;
    const bool b_direct = b.cs == 1 && span(KC, b.rs, std::min(NC, n)) <= in_place_span;
    T* pa = buffer<T, 0>().get(a_direct ? MR * KC : MC * KC);
    T* pb = buffer<T, 1>().get(b_direct ? KC * NR : KC * NC);
    auto run_tile = [&](panel<T> ap, panel<T> bp, T* ct, std::size_t rows, std::size_t cols,
                        std::size_t kc, bool accumulate) {
        if (a_rows) {
            tile<T, MR, NV, false>(kc, ap, bp, ct, ldc, rows, cols, accumulate);
        } else {
            tile<T, MR, NV, true>(kc, ap, bp, ct, ldc, rows, cols, accumulate);
        }
    };

    for (std::size_t jc = 0; jc < n; jc += NC) {
        const std::size_t nc = std::min(NC, n - jc);
        // In place, B needs packing only for a last panel that ends inside a batch.
        const std::size_t ragged_jr = b_direct && nc % W ? (nc - 1) / NR * NR : nc;
        for (std::size_t pc = 0; pc < k; pc += KC) {
            const std::size_t kc = std::min(KC, k - pc);
            const bool accumulate = pc != 0;
            const bool last = pc + kc == k;
            const T* bblock = b.p + std::ptrdiff_t(pc) * b.rs + std::ptrdiff_t(jc) * b.cs;
            if (!b_direct) {
                pack_b<NR, W>(kc, nc, bblock, b.rs, b.cs, pb);
            } else if (ragged_jr < nc) {
                pack_b<NR, W>(kc, nc - ragged_jr, bblock + ragged_jr, b.rs, b.cs, pb);
            }
            for (std::size_t ic = 0; ic < m; ic += MC) {
                const std::size_t mc = std::min(MC, m - ic);
                const T* ablock = a.p + std::ptrdiff_t(ic) * a.rs + std::ptrdiff_t(pc) * a.cs;
                const std::size_t full = mc / MR * MR;  // rows in full panels
                if (!a_direct) {
                    pack_a<MR>(mc, kc, ablock, a.rs, a.cs, pa);
                } else if (full < mc) {
                    pack_a_panel<MR>(mc - full, kc, ablock + std::ptrdiff_t(full) * a.rs, a.rs, a.cs, pa);
                }
                for (std::size_t jr = 0; jr < nc; jr += NR) {
                    const std::size_t cols = std::min(NR, nc - jr);
                    const std::ptrdiff_t width = std::ptrdiff_t((cols + W - 1) / W * W);
                    const panel<T> bp = !b_direct ? panel<T>{pb + jr * kc, width}
                                        : jr == ragged_jr ? panel<T>{pb, width}
                                                          : panel<T>{bblock + jr, b.rs};
                    for (std::size_t ir = 0; ir < mc; ir += MR) {
                        const std::size_t rows = std::min(MR, mc - ir);
                        const std::ptrdiff_t packed_s = a_rows ? std::ptrdiff_t(kc) : std::ptrdiff_t(MR);
                        const panel<T> ap = !a_direct   ? panel<T>{pa + ir * kc, packed_s}
                                            : ir == full ? panel<T>{pa, packed_s}
                                            : a_rows     ? panel<T>{ablock + std::ptrdiff_t(ir) * a.rs, a.rs}
                                                         : panel<T>{ablock + ir, a.cs};
                        run_tile(ap, bp, c + (ic + ir) * ldc + jc + jr, rows, cols, kc, accumulate);
                        // The tile is final and still in L1: fuse the epilogue here.
                        if (last && epi.fn) epi.fn(epi.obj, ic + ir, jc + jr, rows, cols);
                    }
                }
            }
        }
    }
}

#ifdef TFX_COMPILED_LIB
// With the compiled part (docs/compiled.md), the five loops of float and double are compiled once,
// in src/tfx.cpp, for this target's register block. The library must then be built for the same
// instruction set as the program: a program that links one built for another fails to link, with
// an undefined reference that names the instruction set it was compiled for.
#if XSIMD_WITH_AVX512F
#define TFX_COMPILED_ARCH_TAG tfx_compiled_lib_is_not_built_for_avx512f
#elif XSIMD_WITH_AVX2 && XSIMD_WITH_FMA3_AVX2
#define TFX_COMPILED_ARCH_TAG tfx_compiled_lib_is_not_built_for_avx2_fma
#elif XSIMD_WITH_AVX2
#define TFX_COMPILED_ARCH_TAG tfx_compiled_lib_is_not_built_for_avx2
#elif XSIMD_WITH_AVX
#define TFX_COMPILED_ARCH_TAG tfx_compiled_lib_is_not_built_for_avx
#elif XSIMD_WITH_SSE4_2
#define TFX_COMPILED_ARCH_TAG tfx_compiled_lib_is_not_built_for_sse4_2
#elif XSIMD_WITH_SSE2
#define TFX_COMPILED_ARCH_TAG tfx_compiled_lib_is_not_built_for_sse2
#elif XSIMD_WITH_NEON64
#define TFX_COMPILED_ARCH_TAG tfx_compiled_lib_is_not_built_for_neon64
#else
#define TFX_COMPILED_ARCH_TAG tfx_compiled_lib_is_not_built_for_this_target
#endif
extern const int TFX_COMPILED_ARCH_TAG;
inline const int compiled_arch_check = TFX_COMPILED_ARCH_TAG;  // every TU needs the symbol
#define TFX_GEMM_BLOCKED_EXTERN(T)                                                                         \
    extern template void gemm_blocked<T, register_block<T>::mr, register_block<T>::nv>(                      \
        std::size_t, std::size_t, std::size_t, matrix_ref<T>, matrix_ref<T>, T*, std::size_t, epilogue_ref, \
        const block_sizes&);
TFX_GEMM_BLOCKED_EXTERN(float)
TFX_GEMM_BLOCKED_EXTERN(double)
#undef TFX_GEMM_BLOCKED_EXTERN
#endif

// Work (m*n*k) from which a product is split over the thread pool: 2^21 multiply-adds take some
// 40 us on one core, several times what a region costs (waking the workers, joining them).
inline constexpr std::size_t parallel_gemm_work = std::size_t(1) << 21;

// A product split into tm x tn blocks of C, each a whole GEMM of its own on one thread.
struct gemm_split {
    std::size_t tm = 1, tn = 1;
};

// The split for at most p threads with the shortest critical path: the largest block's
// multiply-adds (rows * cols per k; blocks are whole MR x NR tiles) plus its packing (each thread
// packs its rows of A and its columns of B, rows + cols per k, weighted as some FMAs per value).
// Ties go to fewer threads.
inline gemm_split choose_gemm_split(std::size_t m, std::size_t n, std::size_t mr, std::size_t nr,
                                    std::size_t p) noexcept {
    constexpr std::size_t pack_weight = 8;
    const std::size_t um = (m + mr - 1) / mr, un = (n + nr - 1) / nr;
    gemm_split best;
    std::size_t best_cost = um * mr * un * nr + pack_weight * (um * mr + un * nr);
    for (std::size_t tm = 1; tm <= std::min(p, um); ++tm) {
        for (std::size_t tn = 1; tn <= std::min(p / tm, un); ++tn) {
            const std::size_t rows = (um + tm - 1) / tm * mr, cols = (un + tn - 1) / tn * nr;
            const std::size_t cost = rows * cols + pack_weight * (rows + cols);
            if (cost < best_cost) {
                best_cost = cost;
                best = {tm, tn};
            }
        }
    }
    return best;
}

// Whether C (m x n) is computed as C^T = B^T A^T and transposed: when its n columns fill less than
// one register tile (NR) and leave at least a quarter of their batches' lanes idle (n = 10 classes
// against 16 float lanes: 6 FMAs and 7 loads per k step, six dependent FMA chains), while C^T's
// m >= 2 NR columns fill whole tiles. Only for a column-major A (x^T in a weight gradient), which is
// then C^T's row-major right operand, read in place; a row-major A would have to be transposed into
// packed panels, which cost more than the idle lanes (measured). Each element is the same FMAs in
// the same order either way, so the results are the same bits. k >= 2 W pays for the m n moves
// of the transpose.
inline bool transpose_narrow(std::size_t m, std::size_t n, std::size_t k, std::ptrdiff_t a_rs, std::size_t nr,
                             std::size_t w) noexcept {
    const std::size_t lanes = (n + w - 1) / w * w;
    return a_rs == 1 && n < nr && (4 * (lanes - n) >= lanes || lanes == w) && m >= 2 * nr && k >= 2 * w;
}

}  // namespace detail

// C (m x n, row-major, leading dimension ldc >= n) = A (m x k) * B (k x n). Overwrites C, which
// must not overlap A or B. epi(i0, j0, rows, cols) is called on blocks of C that are final and
// together cover C exactly once: on one thread, once per block right after the micro-kernel stored
// it (in the last k pass, while it is in L1), so bias and activation are fused into the store; when
// the product is split over threads (core/parallel.hpp), once for the whole of C after the split,
// on the calling thread, so an epilogue need not be thread-safe (matmul's fused epilogue then splits
// its rows over the pool itself). The epilogue must not itself call
// gemm (the packing buffers of this thread are in use).
// Large products are split into blocks of C over the thread pool; each value of C is computed by the
// same operations in the same order whatever the split, so results do not depend on the thread
// count. The packing buffers are thread_local, so callers may also run several gemms in parallel.
//
// The work is gemm_erased<T>, whose epilogue arrives type-erased (one indirect call per finished
// block): it is compiled once per element type, not once per epilogue (every fused product of a
// model has its own), and with the compiled part (docs/compiled.md) once in the library.
namespace detail {
template <class T>
[[gnu::noinline]] void gemm_erased(std::size_t m, std::size_t n, std::size_t k, matrix_ref<T> a, matrix_ref<T> b, T* c,
                                   std::size_t ldc, epilogue_ref epi) {
    static_assert(simd_type<T>, "tfx: gemm supports float and double");
    if (m == 0 || n == 0) return;
    if (k == 0) {
        for (std::size_t i = 0; i < m; ++i) std::fill_n(c + i * ldc, n, T(0));
        if (epi.fn) epi.fn(epi.obj, 0, 0, m, n);
        return;
    }
    using rb = register_block<T>;
    if (transpose_narrow(m, n, k, a.rs, rb::nr, simd<T>::size)) {
        // C^T = B^T A^T into a scratch buffer of this thread, then C from it.
        T* ct = buffer<T, 2>().get(m * n);
        gemm_erased<T>(n, m, k, matrix_ref<T>{b.p, b.cs, b.rs}, matrix_ref<T>{a.p, a.cs, a.rs}, ct, m, epilogue_ref{});
        for (std::size_t i = 0; i < m; ++i) {
            for (std::size_t j = 0; j < n; ++j) c[i * ldc + j] = ct[j * m + i];
        }
        if (epi.fn) epi.fn(epi.obj, 0, 0, m, n);
        return;
    }
    const block_sizes& blocks = default_blocks<T>();
    const std::size_t width = m * n * k >= parallel_gemm_work ? tfx::detail::parallel_width() : 1;
    const gemm_split split = width > 1 ? choose_gemm_split(m, n, rb::mr, rb::nr, width) : gemm_split{};
    if (split.tm * split.tn == 1) {
        gemm_blocked<T, rb::mr, rb::nv>(m, n, k, a, b, c, ldc, epi, blocks);
        return;
    }
    const std::size_t rows = ((m + rb::mr - 1) / rb::mr + split.tm - 1) / split.tm * rb::mr;
    const std::size_t cols = ((n + rb::nr - 1) / rb::nr + split.tn - 1) / split.tn * rb::nr;
    tfx::detail::parallel_for(split.tm * split.tn, [&](std::size_t t) {
        const std::size_t i0 = t / split.tn * rows, j0 = t % split.tn * cols;
        if (i0 >= m || j0 >= n) return;
        const matrix_ref<T> ab{a.p + std::ptrdiff_t(i0) * a.rs, a.rs, a.cs};
        const matrix_ref<T> bb{b.p + std::ptrdiff_t(j0) * b.cs, b.rs, b.cs};
        gemm_blocked<T, rb::mr, rb::nv>(std::min(rows, m - i0), std::min(cols, n - j0), k, ab, bb, c + i0 * ldc + j0,
                                        ldc, epilogue_ref{}, blocks);
    });
    if (epi.fn) epi.fn(epi.obj, 0, 0, m, n);
}
#ifdef TFX_COMPILED_LIB
extern template void gemm_erased<float>(std::size_t, std::size_t, std::size_t, matrix_ref<float>, matrix_ref<float>,
                                        float*, std::size_t, epilogue_ref);
extern template void gemm_erased<double>(std::size_t, std::size_t, std::size_t, matrix_ref<double>, matrix_ref<double>,
                                         double*, std::size_t, epilogue_ref);
#endif
}  // namespace detail

template <class T, class Epi = no_epilogue>
void gemm(std::size_t m, std::size_t n, std::size_t k, matrix_ref<T> a, matrix_ref<T> b, T* c,
          std::size_t ldc, Epi&& epi = Epi{}) {
    static_assert(simd_type<T>, "tfx: gemm supports float and double");
    detail::gemm_erased<T>(m, n, k, a, b, c, ldc, detail::epilogue_ref::of(epi));
}

// ---------------------------------------------------------------------------------------------
namespace detail {

// The widest batch of T with at most N lanes that this target has (void when none: scalar).
template <class T, std::size_t N>
struct small_batch {
    using sized = xsimd::make_sized_batch_t<T, N>;
    using type = std::conditional_t<!std::is_void_v<sized>, sized, typename small_batch<T, N / 2>::type>;
};
template <class T>
struct small_batch<T, 1> {
    using type = void;
};

// Columns [J0, N) of C: the widest batch that fits the remaining columns, then recurse. Each row
// of C is a sum over K of broadcast(A(i, p)) * B(p, :); with few rows the sum is split into S
// partial sums so that enough independent FMAs are in flight to cover their latency.
template <class T, std::size_t M, std::size_t N, std::size_t K, std::size_t J0>
[[gnu::always_inline]] inline void small_columns(const T* __restrict a, const T* __restrict b,
                                                 T* __restrict c) noexcept {
    if constexpr (J0 < N) {
        using V = typename small_batch<T, std::bit_floor(std::min<std::size_t>(N - J0, simd<T>::size))>::type;
        constexpr std::size_t S = std::min<std::size_t>(K, std::bit_ceil((8 + M - 1) / M));
        if constexpr (std::is_void_v<V>) {
            unroll<M>([&](auto i) {
                T acc[S];
                unroll<S>([&](auto s) { acc[s] = a[i * K + s] * b[s * N + J0]; });
                unroll<K - S>([&](auto q) {
                    constexpr std::size_t p = q + S;
                    acc[p % S] += a[i * K + p] * b[p * N + J0];
                });
                unroll<S - 1>([&](auto s) { acc[0] += acc[s + 1]; });
                c[i * N + J0] = acc[0];
            });
            small_columns<T, M, N, K, J0 + 1>(a, b, c);
        } else {
            constexpr std::size_t W = V::size;
            V bv[K];
            unroll<K>([&](auto p) { bv[p] = V::load_unaligned(b + p * N + J0); });
            unroll<M>([&](auto i) {
                V acc[S];
                unroll<S>([&](auto s) { acc[s] = V(a[i * K + s]) * bv[s]; });
                unroll<K - S>([&](auto q) {
                    constexpr std::size_t p = q + S;
                    acc[p % S] = xsimd::fma(V(a[i * K + p]), bv[p], acc[p % S]);
                });
                unroll<S - 1>([&](auto s) { acc[0] += acc[s + 1]; });
                acc[0].store_unaligned(c + i * N + J0);
            });
            small_columns<T, M, N, K, J0 + W>(a, b, c);
        }
    }
}

}  // namespace detail

// Fully unrolled register path for small static sizes: C[M][N] = A[M][K] * B[K][N], all row-major
// and contiguous; no packing, no heap.
template <class T, std::size_t M, std::size_t N, std::size_t K>
void gemm_small(const T* a, const T* b, T* c) noexcept {
    static_assert(simd_type<T>, "tfx: gemm_small supports float and double");
    static_assert(M > 0 && N > 0, "tfx: gemm_small needs M, N > 0");
    if constexpr (K == 0) {
        std::fill_n(c, M * N, T(0));
    } else {
        detail::small_columns<T, M, N, K, 0>(a, b, c);
    }
}

}  // namespace tfx::kernels
