#pragma once
// permute<P...>(x): axes reordered so that output axis i is input axis P[i] (numpy.transpose with
// axes); transpose(x) reverses all axes. Computed by a blocked copy kernel, except where a matmul
// absorbs a transpose of its operand into the GEMM packing.
#include "../eval/assign.hpp"
#include "../eval/materialize.hpp"

namespace tfx {

namespace detail {
template <std::size_t R, int... P>
constexpr bool is_permutation() {
    if constexpr (sizeof...(P) != R)
        return false;
    else {
        std::array<int, R> p{P...};
        std::array<bool, R> seen{};
        for (int v : p) {
            if (v < 0 || v >= int(R) || seen[std::size_t(v)]) return false;
            seen[std::size_t(v)] = true;
        }
        return true;
    }
}
template <class S, int... P>
constexpr auto permuted_extents() {
    return std::array<index_t, S::rank>{S::extents[std::size_t(P)]...};
}
}  // namespace detail

// 'tfx::valid_permutation<tfx::shape<2, 3>, 0, 0>' evaluates to false.
template <class S, int... P>
inline constexpr bool valid_permutation = detail::is_permutation<S::rank, P...>();

template <class X, int... P>
struct permute_node : expr_base<typename X::value_type, shape_of_array<detail::permuted_extents<typename X::shape_type, P...>()>> {
    static constexpr std::size_t R = X::rank;
    static constexpr std::array<std::size_t, R> perm{std::size_t(P)...};
    static constexpr const char* name = "permute";
    using T = typename X::value_type;
    X x;
    explicit permute_node(X x_) : x(std::move(x_)) {}
    auto children() const { return std::tie(x); }
    dims_t<R> dims() const {
        const auto xd = x.dims();
        return dims_t<R>{xd[std::size_t(P)]...};
    }
    // Swaps exactly the last two axes (a matrix transpose, batched or not).
    static constexpr bool swaps_last_two = [] {
        if constexpr (R < 2)
            return false;
        else {
            for (std::size_t i = 0; i + 2 < R; ++i)
                if (perm[i] != i) return false;
            return perm[R - 2] == R - 1 && perm[R - 1] == R - 2;
        }
    }();

    void eval_into(T* out, const dims_t<R>& d, detail::eval_ctx& ctx) const {
        const auto xs = detail::materialize_if_leafless(x, ctx);
        const T* src = xs.data();
        const auto xd = xs.dims();
        // Input strides, read in output order.
        std::array<std::size_t, R> xstride{};
        std::size_t s = 1;
        for (std::size_t k = R; k-- > 0;) {
            xstride[k] = s;
            s *= xd[k];
        }
        std::array<std::size_t, R> st{};
        for (std::size_t i = 0; i < R; ++i) st[i] = xstride[perm[i]];
        if (dims_size(d) == 0) return;
        if constexpr (R == 0) {
            out[0] = src[0];
        } else if constexpr (R >= 2) {
            if (swaps_last_two || (R == 2)) {
                // Matrix transposes, one per leading index, in cache-sized tiles.
                const std::size_t rows = d[R - 2], cols = d[R - 1];
                std::size_t batches = dims_size(d) / (rows * cols);
                dims_t<R> idx{};
                for (std::size_t b = 0; b < batches; ++b) {
                    std::size_t off = 0;
                    for (std::size_t k = 0; k + 2 < R; ++k) off += idx[k] * st[k];
                    transpose_tile(out + b * rows * cols, src + off, rows, cols, st[R - 2], st[R - 1]);
                    for (std::size_t k = R - 2; k-- > 0;) {
                        if (++idx[k] < d[k]) break;
                        idx[k] = 0;
                    }
                }
                return;
            }
        }
        if constexpr (R > 0) {
            const std::size_t inner = d[R - 1], is = st[R - 1];
            kernels::for_each_row(d, [&](std::size_t r, const dims_t<R>& idx) {
                std::size_t off = 0;
                for (std::size_t k = 0; k + 1 < R; ++k) off += idx[k] * st[k];
                T* o = out + r * inner;
                for (std::size_t j = 0; j < inner; ++j) o[j] = src[off + j * is];
            });
        }
    }

   private:
    static void transpose_tile(T* out, const T* src, std::size_t rows, std::size_t cols, std::size_t rs, std::size_t cs) {
        constexpr std::size_t B = 32;
        for (std::size_t i0 = 0; i0 < rows; i0 += B)
            for (std::size_t j0 = 0; j0 < cols; j0 += B) {
                const std::size_t i1 = std::min(rows, i0 + B), j1 = std::min(cols, j0 + B);
                for (std::size_t i = i0; i < i1; ++i)
                    for (std::size_t j = j0; j < j1; ++j) out[i * cols + j] = src[i * rs + j * cs];
            }
    }
};

template <class E>
struct is_permute : std::false_type {};
template <class X, int... P>
struct is_permute<permute_node<X, P...>> : std::true_type {};

template <int... P, expression X>
auto permute(X&& x) {
    using N = node_t<X>;
    static_assert(valid_permutation<typename N::shape_type, P...>,
                  "tfx: permute: the axes must be a permutation of 0..rank-1 (shape and axes below)");
    return permute_node<N, P...>(as_node(std::forward<X>(x)));
}

namespace detail {
template <class N, std::size_t... I>
auto reverse_axes(N&& n, std::index_sequence<I...>) {
    return permute_node<N, int(sizeof...(I) - 1 - I)...>(std::move(n));
}
}  // namespace detail

// transpose(x): all axes reversed, as numpy.transpose and tf.transpose do by default.
template <expression X>
auto transpose(X&& x) {
    using N = node_t<X>;
    return detail::reverse_axes(as_node(std::forward<X>(x)), std::make_index_sequence<N::rank>{});
}

}  // namespace tfx
