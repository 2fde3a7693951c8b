#pragma once
// Convolution and pooling over NHWC tensors (H, W, C static; the batch N static or dynamic), with
// Keras's padding rules, and their derivative rules side by side.
//
//   extract_patches<KH, KW, SH, SW, P>(x, pad)  [N,H,W,C] -> [N,OH,OW,KH*KW*C], patch order (kh, kw, c)
//   conv2d<SH, SW, P>(x, w)                     im2col + one GEMM: reshape(matmul(patches, w as [KH*KW*C, F]))
//   max_pool2d / avg_pool2d<PH, PW, SH, SW, P>  window kernels; padded positions never win the max and
//                                               are left out of the average (as in Keras)
//   global_average_pool2d(x)                    mean<1, 2>: [N,H,W,C] -> [N,C]
//
// The window ops are linear kernel nodes paired with their adjoints, so every derivative stays a
// kernel node and derivatives of any order exist: extract_patches <-> fold_patches (col2im, a
// scatter-add that drops padded positions), avg_pool <-> avg_pool_grad. max_pool's adjoint sends g
// to the first maximum of each window (TensorFlow's choice) and is linear in g given x:
// max_pool_grad(x, g) <-> pool_select(x, v) (v read at x's window maxima). conv2d has no rule of
// its own: it is built from extract_patches, reshape and matmul.
#include <algorithm>
#include <array>
#include <cstring>

#include "matmul.hpp"
#include "reduce.hpp"
#include "reshape.hpp"
#include "../autodiff/vjp.hpp"
#include "../autodiff/dag.hpp"  // last: it needs the node types above

namespace tfx {

// Keras's padding: valid OH = (H - KH) / SH + 1; same OH = ceil(H / SH), with
// pad_total = max((OH - 1) * SH + KH - H, 0) split as pad_top = pad_total / 2 (the extra row at the
// bottom), and likewise for the width.
enum class padding { valid, same };

namespace detail {
// Total for any arguments: after a failed static_assert the types must still form, silently.
constexpr index_t window_out(index_t in, index_t k, index_t s, padding p) {
    if (in < 0 || k <= 0 || s <= 0) return 1;
    if (p == padding::valid) return in >= k ? (in - k) / s + 1 : 0;
    return (in + s - 1) / s;
}
constexpr index_t window_pad_before(index_t in, index_t k, index_t s, padding p) {
    if (p == padding::valid || in < 0 || k <= 0 || s <= 0) return 0;
    const index_t total = (window_out(in, k, s, p) - 1) * s + k - in;
    return total > 0 ? total / 2 : 0;
}
template <class S, std::size_t I>
constexpr index_t extent_or_1() {
    if constexpr (I < S::rank)
        return S::extents[I];
    else
        return 1;
}
}  // namespace detail

// A KHxKW window moved by strides SH, SW with padding P.
template <index_t KH, index_t KW, index_t SH, index_t SW, padding P>
struct window2d {
    static constexpr index_t kh = KH, kw = KW, sh = SH, sw = SW;
    static constexpr padding pad = P;
};

// ---- static checks, named so that a failed static_assert shows the shapes
// 'tfx::nhwc_static<tfx::shape<-1, 8, 8> >' evaluates to false: x must be [N, H, W, C] with H, W, C static.
template <class S>
inline constexpr bool nhwc_static = [] {
    if constexpr (S::rank != 4)
        return false;
    else
        return S::extents[1] != dyn && S::extents[2] != dyn && S::extents[3] != dyn;
}();
// 'tfx::window_positive<3, 3, 0, 1>' evaluates to false: window extents and strides must be > 0.
template <index_t KH, index_t KW, index_t SH, index_t SW>
inline constexpr bool window_positive = KH > 0 && KW > 0 && SH > 0 && SW > 0;
// 'tfx::window_fits<tfx::shape<-1, 2, 2, 3>, 3, 3, tfx::padding::valid>' evaluates to false: with
// valid padding the window must fit in the input (H >= KH, W >= KW).
template <class S, index_t KH, index_t KW, padding P>
inline constexpr bool window_fits = P == padding::same || !nhwc_static<S> ||
                                    (KH <= detail::extent_or_1<S, 1>() && KW <= detail::extent_or_1<S, 2>());
// 'tfx::conv2d_kernel_static<tfx::shape<3, 3, -1, 16> >' evaluates to false: w must be a static
// [KH, KW, C, F] with positive extents.
template <class SW>
inline constexpr bool conv2d_kernel_static = [] {
    if constexpr (SW::rank != 4 || !SW::is_static)
        return false;
    else
        return SW::extents[0] > 0 && SW::extents[1] > 0 && SW::extents[2] > 0 && SW::extents[3] > 0;
}();
// 'tfx::conv2d_channels_match<tfx::shape<-1, 8, 8, 3>, tfx::shape<3, 3, 4, 16> >' evaluates to
// false: x's channels (last extent) differ from w's (third extent).
template <class SX, class SW>
inline constexpr bool conv2d_channels_match = !nhwc_static<SX> || !conv2d_kernel_static<SW> ||
                                              detail::extent_or_1<SX, 3>() == detail::extent_or_1<SW, 2>();

namespace detail {

// The geometry of window Win over an input of static shape S = [N, H, W, C].
template <class Win, class S>
struct window_geometry {
    static constexpr index_t H = extent_or_1<S, 1>(), W = extent_or_1<S, 2>(), C = extent_or_1<S, 3>();
    static constexpr index_t KH = Win::kh, KW = Win::kw, SH = Win::sh, SW = Win::sw;
    static constexpr index_t OH = window_out(H, KH, SH, Win::pad), OW = window_out(W, KW, SW, Win::pad);
    static constexpr index_t PT = window_pad_before(H, KH, SH, Win::pad), PL = window_pad_before(W, KW, SW, Win::pad);
    static constexpr index_t N = S::rank > 0 ? S::extents[0] : 1;
    static constexpr std::array<index_t, 4> pooled{N, OH, OW, C};            // [N, OH, OW, C]
    static constexpr std::array<index_t, 4> patches{N, OH, OW, KH * KW * C};  // [N, OH, OW, KH*KW*C]
    static constexpr std::array<index_t, 4> input{N, H, W, C};
};

// One window: its output position (n, oh, ow) as a flat index, the input element offset of its
// first valid position (n, ih0 + kh0, iw0 + kw0, 0), and its valid kernel offsets [kh0, kh1) x [kw0, kw1).
struct window_span {
    std::size_t out, in, kh0, kh1, kw0, kw1;
    std::size_t count() const { return (kh1 - kh0) * (kw1 - kw0); }
};

template <class Geo, class F>
void for_each_window(std::size_t batch, F&& f) {
    using P = std::ptrdiff_t;
    constexpr P H = Geo::H, W = Geo::W, C = Geo::C, KH = Geo::KH, KW = Geo::KW;
    std::size_t o = 0;
    for (std::size_t n = 0; n < batch; ++n)
        for (P oh = 0; oh < Geo::OH; ++oh) {
            const P ih0 = oh * Geo::SH - Geo::PT;
            const P kh0 = std::max<P>(0, -ih0), kh1 = std::min<P>(KH, H - ih0);
            for (P ow = 0; ow < Geo::OW; ++ow, ++o) {
                const P iw0 = ow * Geo::SW - Geo::PL;
                const P kw0 = std::max<P>(0, -iw0), kw1 = std::min<P>(KW, W - iw0);
                const P in = ((P(n) * H + ih0 + kh0) * W + iw0 + kw0) * C;
                f(window_span{o, std::size_t(in), std::size_t(kh0), std::size_t(kh1), std::size_t(kw0), std::size_t(kw1)});
            }
        }
}

// Inner loops over channels. The operands never overlap; saying so (restrict) lets them vectorize.
template <class T>
inline void add_into(T* __restrict to, const T* __restrict from, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) to[i] += from[i];
}
template <class T>
inline void add_scaled_into(T* __restrict to, const T* __restrict from, T s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) to[i] += from[i] * s;
}
template <class T>
inline void max_into(T* __restrict to, const T* __restrict from, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) to[i] = from[i] > to[i] ? from[i] : to[i];
}

// For every output element (window, channel) of a max pool: f(output offset, input offset of the
// first maximum of the window in (kh, kw) order). Channels are scanned together, in blocks; the
// winner is kept as its position in the window, k = kh * KW + kw, stored for float and double as
// a T (exact: k is small) so that both selects of the scan are on T and vectorize.
template <class Geo, class T, class F>
void for_each_window_max(const T* x, std::size_t batch, F&& f) {
    constexpr std::size_t C = std::size_t(Geo::C), W = std::size_t(Geo::W), KW = std::size_t(Geo::KW),
                          CB = C < 128 ? C : 128;
    // Channels [c0, c0 + N) of one window; N is known to the compiler, so the loops have fixed trip counts.
    auto block = [&]<std::size_t N>(const window_span& s, std::size_t c0, std::integral_constant<std::size_t, N>) {
        using K = std::conditional_t<simd_type<T>, T, std::size_t>;
        std::array<T, N> best;  // locals: nothing else can point at them
        std::array<K, N> at;
        const T* base = x + s.in + c0;
        for (std::size_t c = 0; c < N; ++c) {
            best[c] = base[c];
            at[c] = K(0);
        }
        for (std::size_t kh = 0; kh < s.kh1 - s.kh0; ++kh)
            for (std::size_t kw = 0; kw < s.kw1 - s.kw0; ++kw) {
                const T* p = base + (kh * W + kw) * C;
                const K k = K(kh * KW + kw);
                std::size_t c = 0;
                if constexpr (simd_type<T>) {  // written out: GCC turns the selects below into branches
                    using B = simd<T>;
                    for (; c + B::size <= N; c += B::size) {
                        const B v = B::load_unaligned(p + c), b = B::load_unaligned(best.data() + c);
                        const auto later = v > b;  // strict: the first maximum wins ties
                        xsimd::select(later, v, b).store_unaligned(best.data() + c);
                        xsimd::select(later, B(k), B::load_unaligned(at.data() + c)).store_unaligned(at.data() + c);
                    }
                }
                for (; c < N; ++c) {
                    const bool later = p[c] > best[c];
                    best[c] = later ? p[c] : best[c];
                    at[c] = later ? k : at[c];
                }
            }
        for (std::size_t c = 0; c < N; ++c) {
            const std::size_t k = std::size_t(at[c]), kh = k / KW, kw = k % KW;
            f(s.out * C + c0 + c, s.in + (kh * W + kw) * C + c0 + c);
        }
    };
    for_each_window<Geo>(batch, [&](const window_span& s) {
        if constexpr (CB > 0) {
            std::size_t c0 = 0;
            for (; c0 + CB <= C; c0 += CB) block(s, c0, std::integral_constant<std::size_t, CB>{});
            if constexpr (C % CB != 0) block(s, c0, std::integral_constant<std::size_t, C % CB>{});
        }
    });
}

// A kernel operand as contiguous memory, from the workspace even when its shape is static: the
// patches of a static batch are too large for the stack.
template <std::size_t R>
constexpr std::array<index_t, R> all_dyn() {
    std::array<index_t, R> a{};
    a.fill(dyn);
    return a;
}
template <class X>
auto materialize_ws(const X& x, eval_ctx& ctx) {
    if constexpr (is_leaf<X>::value)
        return x;
    else
        return materialized<typename X::value_type, shape_of_array<all_dyn<X::rank>()>>(x, ctx);
}

template <class Node, std::size_t R, class D>
[[noreturn, gnu::cold]] void throw_window_shapes(const char* what, const D& a, const dims_t<R>& b) {
    throw shape_error(std::string("tfx: ") + Node::name + ": " + what + ": " + shape_string(a) + " and " + shape_string(b));
}

}  // namespace detail

// ---- extract_patches (im2col) and its adjoint fold_patches (col2im)

template <class Win, class X>
struct extract_patches_node : expr_base<typename X::value_type,
                                        shape_of_array<detail::window_geometry<Win, typename X::shape_type>::patches>> {
    using T = typename X::value_type;
    using geo = detail::window_geometry<Win, typename X::shape_type>;
    static constexpr const char* name = "extract_patches";
    X x;
    T pad;  // the value read at padded positions
    extract_patches_node(X x_, T pad_) : x(std::move(x_)), pad(pad_) {}
    auto children() const { return std::tie(x); }
    auto params() const { return std::tuple(pad); }
    dims_t<4> dims() const { return {x.dims()[0], std::size_t(geo::OH), std::size_t(geo::OW), std::size_t(geo::patches[3])}; }

    void eval_into(T* out, const dims_t<4>& d, detail::eval_ctx& ctx) const {
        constexpr std::size_t C = std::size_t(geo::C), W = std::size_t(geo::W), KH = std::size_t(geo::KH),
                              KW = std::size_t(geo::KW), row = KW * C;
        const auto mx = detail::materialize_ws(x, ctx);
        const T* src = mx.data();
        const T pv = pad;
        detail::for_each_window<geo>(d[0], [&](const detail::window_span& s) {
            T* p = out + s.out * KH * row;
            // Whole rows are copies of a length known to the compiler (inlined vector moves).
            if (s.kh0 == 0 && s.kh1 == KH && s.kw0 == 0 && s.kw1 == KW) {
                for (std::size_t kh = 0; kh < KH; ++kh) std::memcpy(p + kh * row, src + s.in + kh * W * C, row * sizeof(T));
                return;
            }
            std::fill_n(p, s.kh0 * row, pv);
            for (std::size_t kh = s.kh0; kh < s.kh1; ++kh) {
                T* r = p + kh * row;
                const T* from = src + s.in + (kh - s.kh0) * W * C;
                if (s.kw0 == 0 && s.kw1 == KW) {
                    std::memcpy(r, from, row * sizeof(T));
                } else {
                    std::fill_n(r, s.kw0 * C, pv);
                    std::copy_n(from, (s.kw1 - s.kw0) * C, r + s.kw0 * C);
                    std::fill(r + s.kw1 * C, r + row, pv);
                }
            }
            std::fill(p + s.kh1 * row, p + KH * row, pv);
        });
    }
};

// g: patches [N, OH, OW, KH*KW*C] -> [N, H, W, C], each patch element added to the input position
// it was read from; elements read from padding are dropped.
template <class Win, class S, class G>
struct fold_patches_node : expr_base<typename G::value_type, shape_of_array<detail::window_geometry<Win, S>::input>> {
    using T = typename G::value_type;
    using geo = detail::window_geometry<Win, S>;
    static constexpr const char* name = "fold_patches";
    G g;
    explicit fold_patches_node(G g_) : g(std::move(g_)) {}
    auto children() const { return std::tie(g); }
    dims_t<4> dims() const { return {g.dims()[0], std::size_t(geo::H), std::size_t(geo::W), std::size_t(geo::C)}; }

    void eval_into(T* out, const dims_t<4>& d, detail::eval_ctx& ctx) const {
        constexpr std::size_t C = std::size_t(geo::C), W = std::size_t(geo::W), row = std::size_t(geo::KW) * C,
                              K = std::size_t(geo::KH) * row;
        const auto mg = detail::materialize_ws(g, ctx);
        const T* src = mg.data();
        std::fill_n(out, dims_size(d), T(0));
        detail::for_each_window<geo>(d[0], [&](const detail::window_span& s) {
            const std::size_t len = (s.kw1 - s.kw0) * C;
            for (std::size_t kh = s.kh0; kh < s.kh1; ++kh) {
                detail::add_into(out + s.in + (kh - s.kh0) * W * C, src + s.out * K + kh * row + s.kw0 * C, len);
            }
        });
    }
};

// ---- average pooling over the valid positions of each window, and its adjoint

template <class Win, class X>
struct avg_pool_node : expr_base<typename X::value_type, shape_of_array<detail::window_geometry<Win, typename X::shape_type>::pooled>> {
    using T = typename X::value_type;
    using geo = detail::window_geometry<Win, typename X::shape_type>;
    static constexpr const char* name = "avg_pool2d";
    X x;
    explicit avg_pool_node(X x_) : x(std::move(x_)) {}
    auto children() const { return std::tie(x); }
    dims_t<4> dims() const { return {x.dims()[0], std::size_t(geo::OH), std::size_t(geo::OW), std::size_t(geo::C)}; }

    void eval_into(T* out, const dims_t<4>& d, detail::eval_ctx& ctx) const {
        constexpr std::size_t C = std::size_t(geo::C), W = std::size_t(geo::W);
        const auto mx = detail::materialize_ws(x, ctx);
        const T* src = mx.data();
        detail::for_each_window<geo>(d[0], [&](const detail::window_span& s) {
            T* o = out + s.out * C;
            std::fill_n(o, C, T(0));
            for (std::size_t kh = 0; kh < s.kh1 - s.kh0; ++kh)
                for (std::size_t kw = 0; kw < s.kw1 - s.kw0; ++kw) detail::add_into(o, src + s.in + (kh * W + kw) * C, C);
            const T inv = T(1) / T(s.count());
            for (std::size_t c = 0; c < C; ++c) o[c] *= inv;
        });
    }
};

// g: [N, OH, OW, C] -> [N, H, W, C], each window's g / count added to its valid positions.
template <class Win, class S, class G>
struct avg_pool_grad_node : expr_base<typename G::value_type, shape_of_array<detail::window_geometry<Win, S>::input>> {
    using T = typename G::value_type;
    using geo = detail::window_geometry<Win, S>;
    static constexpr const char* name = "avg_pool2d_grad";
    G g;
    explicit avg_pool_grad_node(G g_) : g(std::move(g_)) {}
    auto children() const { return std::tie(g); }
    dims_t<4> dims() const { return {g.dims()[0], std::size_t(geo::H), std::size_t(geo::W), std::size_t(geo::C)}; }

    void eval_into(T* out, const dims_t<4>& d, detail::eval_ctx& ctx) const {
        constexpr std::size_t C = std::size_t(geo::C), W = std::size_t(geo::W);
        const auto mg = detail::materialize_ws(g, ctx);
        const T* src = mg.data();
        std::fill_n(out, dims_size(d), T(0));
        detail::for_each_window<geo>(d[0], [&](const detail::window_span& s) {
            const T inv = T(1) / T(s.count());
            const T* gi = src + s.out * C;
            for (std::size_t kh = 0; kh < s.kh1 - s.kh0; ++kh)
                for (std::size_t kw = 0; kw < s.kw1 - s.kw0; ++kw) detail::add_scaled_into(out + s.in + (kh * W + kw) * C, gi, inv, C);
        });
    }
};

// ---- max pooling, its adjoint max_pool_grad(x, g), and pool_select(x, v) (the adjoint's adjoint)

template <class Win, class X>
struct max_pool_node : expr_base<typename X::value_type, shape_of_array<detail::window_geometry<Win, typename X::shape_type>::pooled>> {
    using T = typename X::value_type;
    using geo = detail::window_geometry<Win, typename X::shape_type>;
    static constexpr const char* name = "max_pool2d";
    X x;
    explicit max_pool_node(X x_) : x(std::move(x_)) {}
    auto children() const { return std::tie(x); }
    dims_t<4> dims() const { return {x.dims()[0], std::size_t(geo::OH), std::size_t(geo::OW), std::size_t(geo::C)}; }

    void eval_into(T* out, const dims_t<4>& d, detail::eval_ctx& ctx) const {
        constexpr std::size_t C = std::size_t(geo::C), W = std::size_t(geo::W);
        const auto mx = detail::materialize_ws(x, ctx);
        const T* src = mx.data();
        detail::for_each_window<geo>(d[0], [&](const detail::window_span& s) {
            T* o = out + s.out * C;
            std::copy_n(src + s.in, C, o);  // every window has a valid position; padding never enters
            for (std::size_t kh = 0; kh < s.kh1 - s.kh0; ++kh)
                for (std::size_t kw = 0; kw < s.kw1 - s.kw0; ++kw) detail::max_into(o, src + s.in + (kh * W + kw) * C, C);
        });
    }
};

// [N, H, W, C]: each g[n, oh, ow, c] added at the first maximum of x's window (zero elsewhere).
template <class Win, class X, class G>
struct max_pool_grad_node : expr_base<typename G::value_type, typename X::shape_type> {
    using T = typename G::value_type;
    using geo = detail::window_geometry<Win, typename X::shape_type>;
    static constexpr const char* name = "max_pool2d_grad";
    X x;
    G g;
    max_pool_grad_node(X x_, G g_) : x(std::move(x_)), g(std::move(g_)) {}
    auto children() const { return std::tie(x, g); }
    dims_t<4> dims() const {
        const auto xd = x.dims(), gd = g.dims();
        if (gd[0] != xd[0]) detail::throw_window_shapes<max_pool_grad_node>("batch extents of x and g differ", xd, gd);
        return xd;
    }
    void eval_into(T* out, const dims_t<4>& d, detail::eval_ctx& ctx) const {
        const auto mx = detail::materialize_ws(x, ctx);
        const auto mg = detail::materialize_ws(g, ctx);
        const T* gs = mg.data();
        std::fill_n(out, dims_size(d), T(0));
        detail::for_each_window_max<geo>(mx.data(), d[0], [&](std::size_t o, std::size_t i) { out[i] += gs[o]; });
    }
};

// [N, OH, OW, C]: v (x's shape) read at the first maximum of each of x's windows.
template <class Win, class X, class V>
struct pool_select_node : expr_base<typename V::value_type, shape_of_array<detail::window_geometry<Win, typename X::shape_type>::pooled>> {
    using T = typename V::value_type;
    using geo = detail::window_geometry<Win, typename X::shape_type>;
    static constexpr const char* name = "max_pool2d_select";
    X x;
    V v;
    pool_select_node(X x_, V v_) : x(std::move(x_)), v(std::move(v_)) {}
    auto children() const { return std::tie(x, v); }
    dims_t<4> dims() const {
        const auto xd = x.dims(), vd = v.dims();
        if (vd != xd) detail::throw_window_shapes<pool_select_node>("x and v differ in shape", xd, vd);
        return {xd[0], std::size_t(geo::OH), std::size_t(geo::OW), std::size_t(geo::C)};
    }
    void eval_into(T* out, const dims_t<4>& d, detail::eval_ctx& ctx) const {
        const auto mx = detail::materialize_ws(x, ctx);
        const auto mv = detail::materialize_ws(v, ctx);
        const T* vs = mv.data();
        detail::for_each_window_max<geo>(mx.data(), d[0], [&](std::size_t o, std::size_t i) { out[o] = vs[i]; });
    }
};

// ---- the ops

template <index_t KH, index_t KW, index_t SH = 1, index_t SW = 1, padding P = padding::valid, expression X>
auto extract_patches(X&& x, typename node_t<X>::value_type pad_value = 0) {
    using N = node_t<X>;
    using S = typename N::shape_type;
    static_assert(nhwc_static<S>, "tfx: extract_patches: x must be [N, H, W, C] with static H, W and C (shape below)");
    static_assert(window_positive<KH, KW, SH, SW>, "tfx: extract_patches: window extents and strides must be positive");
    static_assert(window_fits<S, KH, KW, P>,
                  "tfx: extract_patches: with valid padding the window must fit in the input (shape and window below)");
    static_assert(std::is_arithmetic_v<typename N::value_type>, "tfx: extract_patches needs numbers (type below)");
    return extract_patches_node<window2d<KH, KW, SH, SW, P>, N>(as_node(std::forward<X>(x)), pad_value);
}

// x [N, H, W, C], w [KH, KW, C, F] -> [N, OH, OW, F]: the patches as a [N*OH*OW, KH*KW*C] matrix
// times w as a [KH*KW*C, F] matrix, one GEMM. Gradients come from the rules of the parts.
template <index_t SH = 1, index_t SW = 1, padding P = padding::valid, expression X, expression Wt>
auto conv2d(X&& x, Wt&& w) {
    using NX = node_t<X>;
    using NW = node_t<Wt>;
    using SX = typename NX::shape_type;
    using SK = typename NW::shape_type;
    using T = typename NX::value_type;
    static_assert(nhwc_static<SX>, "tfx: conv2d: x must be [N, H, W, C] with static H, W and C (shape below)");
    static_assert(conv2d_kernel_static<SK>, "tfx: conv2d: the kernel w must be a static [KH, KW, C, F] (shape below)");
    static_assert(conv2d_channels_match<SX, SK>,
                  "tfx: conv2d: x's channels (its last extent) must equal w's (its third extent) (shapes below)");
    static_assert(std::is_same_v<T, typename NW::value_type>,
                  "tfx: conv2d: x and w have different element types; convert one with cast<T>");
    static_assert(simd_type<T>, "tfx: conv2d supports float and double (type below)");
    constexpr index_t KH = detail::extent_or_1<SK, 0>(), KW = detail::extent_or_1<SK, 1>(), F = detail::extent_or_1<SK, 3>();
    static_assert(window_positive<KH, KW, SH, SW>, "tfx: conv2d: strides must be positive");
    static_assert(window_fits<SX, KH, KW, P>,
                  "tfx: conv2d: with valid padding the kernel must fit in the input (shape and kernel extents below)");
    using Win = window2d<KH, KW, SH, SW, P>;
    using geo = detail::window_geometry<Win, SX>;
    constexpr index_t K = geo::patches[3];
    // Nodes are built directly (not through reshape()/matmul()): after a failed check above, no
    // second message. The patch matrix has a dynamic row count, so it lives in workspace memory.
    using PN = extract_patches_node<Win, NX>;
    using PM = reshape_node<shape<dyn, K>, PN>;
    using WM = reshape_node<shape<K, F>, NW>;
    using MM = matmul_node<PM, WM>;
    return reshape_node<shape<geo::N, geo::OH, geo::OW, F>, MM>(
        MM(PM(PN(as_node(std::forward<X>(x)), T(0))), WM(as_node(std::forward<Wt>(w)))));
}

template <index_t PH, index_t PW, index_t SH = PH, index_t SW = PW, padding P = padding::valid, expression X>
auto max_pool2d(X&& x) {
    using N = node_t<X>;
    using S = typename N::shape_type;
    static_assert(nhwc_static<S>, "tfx: max_pool2d: x must be [N, H, W, C] with static H, W and C (shape below)");
    static_assert(window_positive<PH, PW, SH, SW>, "tfx: max_pool2d: pool extents and strides must be positive");
    static_assert(window_fits<S, PH, PW, P>,
                  "tfx: max_pool2d: with valid padding the pool window must fit in the input (shape and window below)");
    static_assert(std::is_arithmetic_v<typename N::value_type> && !std::is_same_v<typename N::value_type, bool>,
                  "tfx: max_pool2d needs numbers (type below)");
    return max_pool_node<window2d<PH, PW, SH, SW, P>, N>(as_node(std::forward<X>(x)));
}

template <index_t PH, index_t PW, index_t SH = PH, index_t SW = PW, padding P = padding::valid, expression X>
auto avg_pool2d(X&& x) {
    using N = node_t<X>;
    using S = typename N::shape_type;
    static_assert(nhwc_static<S>, "tfx: avg_pool2d: x must be [N, H, W, C] with static H, W and C (shape below)");
    static_assert(window_positive<PH, PW, SH, SW>, "tfx: avg_pool2d: pool extents and strides must be positive");
    static_assert(window_fits<S, PH, PW, P>,
                  "tfx: avg_pool2d: with valid padding the pool window must fit in the input (shape and window below)");
    static_assert(std::is_floating_point_v<typename N::value_type>, "tfx: avg_pool2d needs floating-point elements (type below)");
    return avg_pool_node<window2d<PH, PW, SH, SW, P>, N>(as_node(std::forward<X>(x)));
}

// [N, H, W, C] -> [N, C]: the mean over H and W.
template <expression X>
auto global_average_pool2d(X&& x) {
    using N = node_t<X>;
    static_assert(N::rank == 4, "tfx: global_average_pool2d: x must be [N, H, W, C] (shape below)");
    static_assert(std::is_floating_point_v<typename N::value_type>,
                  "tfx: global_average_pool2d needs floating-point elements (type below)");
    if constexpr (N::rank == 4)
        return mean<1, 2>(std::forward<X>(x));
    else
        return mean(std::forward<X>(x));  // only after the static_assert above has failed
}

// ---- derivative rules: vjp(node, g) -> child adjoints; jvp(node, child tangents...) -> tangent.
// Each linear node's vjp is its partner, and its jvp is itself applied to the tangent.

template <class Win, class X, class G>
auto vjp(const extract_patches_node<Win, X>&, const G& g) {
    return std::tuple{fold_patches_node<Win, typename X::shape_type, node_t<const G&>>(as_node(g))};
}
template <class Win, class X, class Tg>
auto jvp(const extract_patches_node<Win, X>&, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else  // the pad value is a constant: its tangent is 0
        return extract_patches_node<Win, node_t<const Tg&>>(as_node(t), typename X::value_type(0));
}

template <class Win, class S, class G0, class G>
auto vjp(const fold_patches_node<Win, S, G0>&, const G& g) {
    return std::tuple{extract_patches_node<Win, node_t<const G&>>(as_node(g), typename G0::value_type(0))};
}
template <class Win, class S, class G0, class Tg>
auto jvp(const fold_patches_node<Win, S, G0>&, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else
        return fold_patches_node<Win, S, node_t<const Tg&>>(as_node(t));
}

template <class Win, class X, class G>
auto vjp(const avg_pool_node<Win, X>&, const G& g) {
    return std::tuple{avg_pool_grad_node<Win, typename X::shape_type, node_t<const G&>>(as_node(g))};
}
template <class Win, class X, class Tg>
auto jvp(const avg_pool_node<Win, X>&, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else
        return avg_pool_node<Win, node_t<const Tg&>>(as_node(t));
}

template <class Win, class S, class G0, class G>
auto vjp(const avg_pool_grad_node<Win, S, G0>&, const G& g) {
    return std::tuple{avg_pool_node<Win, node_t<const G&>>(as_node(g))};
}
template <class Win, class S, class G0, class Tg>
auto jvp(const avg_pool_grad_node<Win, S, G0>&, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else
        return avg_pool_grad_node<Win, S, node_t<const Tg&>>(as_node(t));
}

// max_pool is x read at its window maxima: locally linear, with the maxima held fixed (x gets no
// second-order term).
template <class Win, class X, class G>
auto vjp(const max_pool_node<Win, X>& e, const G& g) {
    return std::tuple{max_pool_grad_node<Win, X, node_t<const G&>>(e.x, as_node(g))};
}
template <class Win, class X, class Tg>
auto jvp(const max_pool_node<Win, X>& e, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else
        return pool_select_node<Win, X, node_t<const Tg&>>(e.x, as_node(t));
}

template <class Win, class X, class G0, class G>
auto vjp(const max_pool_grad_node<Win, X, G0>& e, const G& g) {
    return std::tuple{zero_t{}, pool_select_node<Win, X, node_t<const G&>>(e.x, as_node(g))};
}
template <class Win, class X, class G0, class TX, class Tg>
auto jvp(const max_pool_grad_node<Win, X, G0>& e, const TX&, const Tg& t) {
    if constexpr (is_zero<Tg>)
        return zero_t{};
    else
        return max_pool_grad_node<Win, X, node_t<const Tg&>>(e.x, as_node(t));
}

template <class Win, class X, class V, class G>
auto vjp(const pool_select_node<Win, X, V>& e, const G& g) {
    return std::tuple{zero_t{}, max_pool_grad_node<Win, X, node_t<const G&>>(e.x, as_node(g))};
}
template <class Win, class X, class V, class TX, class Tv>
auto jvp(const pool_select_node<Win, X, V>& e, const TX&, const Tv& t) {
    if constexpr (is_zero<Tv>)
        return zero_t{};
    else
        return pool_select_node<Win, X, node_t<const Tv&>>(e.x, as_node(t));
}

// Nodes without run-time parameters: their value is fixed by their type and children, so the
// gradient's DAG treats equal ones as one node (extract_patches has its pad value, so it is not).
namespace detail::dag {
template <class Win, class S, class G>
struct pure_kind<fold_patches_node<Win, S, G>> : std::true_type {};
template <class Win, class X>
struct pure_kind<avg_pool_node<Win, X>> : std::true_type {};
template <class Win, class S, class G>
struct pure_kind<avg_pool_grad_node<Win, S, G>> : std::true_type {};
template <class Win, class X>
struct pure_kind<max_pool_node<Win, X>> : std::true_type {};
template <class Win, class X, class G>
struct pure_kind<max_pool_grad_node<Win, X, G>> : std::true_type {};
template <class Win, class X, class V>
struct pure_kind<pool_select_node<Win, X, V>> : std::true_type {};
}  // namespace detail::dag

}  // namespace tfx
