#pragma once
// Basic vocabulary shared by every tfx header: extents, the dynamic-extent marker, the SIMD batch.
#include <cstddef>
#include <cstdint>
#include <xsimd/xsimd.hpp>

// An out-of-line function: a kernel's loop that is called from a serial and a parallel path is
// compiled once, not inlined into both (compile time and code size).
#if defined(__GNUC__) || defined(__clang__)
#define TFX_NOINLINE __attribute__((noinline))
#else
#define TFX_NOINLINE
#endif

namespace tfx {

// Static extents are signed so that a dynamic one prints as -1 in compiler diagnostics
// (tfx::shape<-1, 3> reads better than 18446744073709551615).
using index_t = std::ptrdiff_t;
inline constexpr index_t dyn = -1;

// The SIMD batch for T on the widest instruction set the compiler targets (-march=...).
template <class T>
using simd = xsimd::batch<T>;

// Storage is aligned for the widest batch (and at least a cache line).
inline constexpr std::size_t alignment = 64;

// Element types that the SIMD paths handle; others (integers, bool) use the scalar path.
template <class T>
inline constexpr bool simd_type = std::is_same_v<T, float> || std::is_same_v<T, double>;

template <class T>
inline constexpr std::size_t simd_width = simd_type<T> ? simd<T>::size : 1;

// xsimd 8.1 calls the horizontal sum hadd; later versions call it reduce_add. Wrapped once here.
template <class T, class A>
inline T reduce_add(const xsimd::batch<T, A>& b) noexcept {
    return xsimd::hadd(b);
}

}  // namespace tfx
