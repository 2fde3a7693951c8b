#pragma once
// A partial batch: the r < W values at the end of a row, loaded into one batch and stored back,
// so that a short row (10 classes against 16 float lanes) or a row's tail takes one vector
// operation instead of r scalar ones (an exp: r calls of libm's).
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "../core/config.hpp"

namespace tfx::kernels {

namespace detail {
// Whether load_tail and store_tail are masked instructions on this target (AVX-512, AVX2) rather
// than a trip through a buffer: the elementwise loop takes a row's tail as one batch only then.
template <class T>
inline constexpr bool masked_tail =
#if defined(__AVX512F__)
    simd<T>::size * sizeof(T) == 64 ||
#endif
#if defined(__AVX2__)
    simd<T>::size * sizeof(T) == 32 ||
#endif
    false;

// The r < W values at p in a batch, the lanes past them set to fill, and the first r lanes of b
// stored at p. With AVX-512 and AVX2 these are masked loads and stores (nothing is read or written
// past p + r); elsewhere the values go through a buffer (a store-forwarding stall: a dozen cycles).
template <class T>
inline simd<T> load_tail(const T* p, std::size_t r, T fill) noexcept {
    using B = simd<T>;
#if defined(__AVX512F__)
    if constexpr (B::size * sizeof(T) == 64) {
        if constexpr (std::is_same_v<T, float>)
            return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), __mmask16((1u << r) - 1), p);
        else
            return _mm512_mask_loadu_pd(_mm512_set1_pd(fill), __mmask8((1u << r) - 1), p);
    }
#endif
#if defined(__AVX2__)
    if constexpr (B::size * sizeof(T) == 32) {
        if constexpr (std::is_same_v<T, float>) {
            const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(r)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
        } else {
            const __m256i m = _mm256_cmpgt_epi64(_mm256_set1_epi64x(std::int64_t(r)), _mm256_setr_epi64x(0, 1, 2, 3));
            return _mm256_blendv_pd(_mm256_set1_pd(fill), _mm256_maskload_pd(p, m), _mm256_castsi256_pd(m));
        }
    }
#endif
    alignas(alignment) T lanes[B::size];
    for (std::size_t k = 0; k < B::size; ++k) lanes[k] = k < r ? p[k] : fill;
    return B::load_aligned(lanes);
}
template <class T>
inline void store_tail(T* p, std::size_t r, const simd<T>& b) noexcept {
    using B = simd<T>;
#if defined(__AVX512F__)
    if constexpr (B::size * sizeof(T) == 64) {
        if constexpr (std::is_same_v<T, float>)
            _mm512_mask_storeu_ps(p, __mmask16((1u << r) - 1), b);
        else
            _mm512_mask_storeu_pd(p, __mmask8((1u << r) - 1), b);
        return;
    }
#endif
#if defined(__AVX2__)
    if constexpr (B::size * sizeof(T) == 32) {
        if constexpr (std::is_same_v<T, float>)
            _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(int(r)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)), b);
        else
            _mm256_maskstore_pd(p, _mm256_cmpgt_epi64(_mm256_set1_epi64x(std::int64_t(r)), _mm256_setr_epi64x(0, 1, 2, 3)), b);
        return;
    }
#endif
    alignas(alignment) T lanes[B::size];
    b.store_aligned(lanes);
    for (std::size_t k = 0; k < r; ++k) p[k] = lanes[k];
}
}  // namespace detail

}  // namespace tfx::kernels
