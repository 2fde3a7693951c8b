#pragma once
// The one loop every optimizer update runs: a single pass over a variable's elements that reads the
// gradient, the variable and its slots and writes the variable and the slots back. The update rule is
// a generic lambda k(g, w, s...) that changes w and s... in place; it runs on xsimd batches for the
// body and on scalars for the tail, so one rule serves both (use the helpers below for sqrt and max).
#include <array>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "../core/config.hpp"

namespace tfx::optimizers::detail {

template <class X>
inline X sqrt_of(const X& x) {
    if constexpr (std::is_floating_point_v<X>)
        return std::sqrt(x);
    else
        return xsimd::sqrt(x);
}
template <class X>
inline X max_of(const X& a, const X& b) {
    if constexpr (std::is_floating_point_v<X>)
        return a < b ? b : a;
    else
        return xsimd::max(a, b);
}

// k(g, w, s_0, ..., s_{S-1}) on the n elements of g (read), w and the S slots s[0..S) (read and
// written). No allocation; the pointers may be unaligned.
template <std::size_t S, class T, class K>
inline void fused_update(std::size_t n, const T* g, T* w, T* const* s, const K& k) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
    using B = simd<T>;
    constexpr std::size_t W = B::size;
    [&]<std::size_t... J>(std::index_sequence<J...>) {
        // Local copies: the stores below could alias s[], which would reload the pointers per batch.
        [[maybe_unused]] T* const p[S ? S : 1] = {s[J]...};
        std::size_t i = 0;
        for (; i + W <= n; i += W) {
            B wv = B::load_unaligned(w + i);
            std::array<B, S> sv{B::load_unaligned(p[J] + i)...};
            k(B::load_unaligned(g + i), wv, sv[J]...);
            wv.store_unaligned(w + i);
            (sv[J].store_unaligned(p[J] + i), ...);
        }
        for (; i < n; ++i) {
            T wv = w[i];
            std::array<T, S> sv{p[J][i]...};
            k(g[i], wv, sv[J]...);
            w[i] = wv;
            ((p[J][i] = sv[J]), ...);
        }
    }(std::make_index_sequence<S>{});
}

}  // namespace tfx::optimizers::detail
