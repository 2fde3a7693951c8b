#pragma once
// The floating-point control register's flush-to-zero bits, read and written for the calling thread:
// used by flush_denormals (core/numerics.hpp) and by the thread pool (core/parallel.hpp), which runs
// a region's tasks on its workers with the caller's setting.
#include <cstdint>

#if defined(__SSE__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 1)
#define TFX_FP_CONTROL_MXCSR 1
#include <pmmintrin.h>  // _MM_SET_DENORMALS_ZERO_MODE
#include <xmmintrin.h>  // _mm_getcsr, _mm_setcsr, _MM_SET_FLUSH_ZERO_MODE
#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
#define TFX_FP_CONTROL_FPCR 1
#endif

namespace tfx {

namespace detail {
#if defined(TFX_FP_CONTROL_MXCSR)
using fp_control_t = unsigned int;
// MXCSR bit 15 (FTZ: denormal results become 0) and bit 6 (DAZ: denormal operands read as 0).
inline constexpr fp_control_t flush_bits = _MM_FLUSH_ZERO_MASK | _MM_DENORMALS_ZERO_MASK;
inline fp_control_t get_fp_control() noexcept { return _mm_getcsr(); }
inline void set_flush_bits(fp_control_t from) noexcept {
    // Only the two bits move: the rounding mode, the exception masks and the sticky exception flags
    // (which fetestexcept reads) are left as they are.
    _mm_setcsr((_mm_getcsr() & ~flush_bits) | (from & flush_bits));
}
inline void flush_on() noexcept {
    _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
    _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
}
#elif defined(TFX_FP_CONTROL_FPCR)
using fp_control_t = std::uint64_t;
// FPCR bit 24 (FZ): denormal operands and results are flushed to zero (single and double).
inline constexpr fp_control_t flush_bits = fp_control_t(1) << 24;
inline fp_control_t get_fp_control() noexcept {
    fp_control_t v;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
    return v;
}
inline void set_fp_control(fp_control_t v) noexcept { __asm__ __volatile__("msr fpcr, %0" : : "r"(v)); }
inline void set_flush_bits(fp_control_t from) noexcept {
    set_fp_control((get_fp_control() & ~flush_bits) | (from & flush_bits));
}
inline void flush_on() noexcept { set_fp_control(get_fp_control() | flush_bits); }
#else
using fp_control_t = unsigned int;
inline constexpr fp_control_t flush_bits = 0;
inline fp_control_t get_fp_control() noexcept { return 0; }
inline void set_flush_bits(fp_control_t) noexcept {}
inline void flush_on() noexcept {}
#endif
}  // namespace detail

}  // namespace tfx
