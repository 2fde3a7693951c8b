#pragma once
// Numerics: check_numerics (tf.debugging.check_numerics) and flush_denormals, the scope guard that
// makes denormal (subnormal) floats flush to zero in the calling thread (docs/numerics.md).
//
//   const auto& l = tfx::check_numerics(loss_value, "loss");   // throws numerics_error on NaN/Inf
//   tensor<float, dyn, 8> h = tfx::check_numerics(relu(matmul(x, W) + b), "hidden");
//   { tfx::flush_denormals ftz; ... }                        // FTZ and DAZ inside the scope
//
// Policy: tfx never changes the floating-point environment behind the user's back in the core
// (expressions, tfx::function, grad). The Keras-level entry points (fit, evaluate, predict,
// train_on_batch, test_on_batch) run under flush_denormals, as TensorFlow's executors do; users of
// the core who want the same put the guard around their own loops.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "config.hpp"
#include "errors.hpp"
#include "shape.hpp"
#include "fp_control.hpp"
#include "tensor.hpp"
#include "../eval/assign.hpp"


namespace tfx {

// ------------------------------------------------------------------------------------------------
// check_numerics

// A NaN or an infinity where finite values were required. Derives from value_error, so code that
// catches tfx's value errors catches it too; the counts and the first position are kept.
class numerics_error : public value_error {
   public:
    numerics_error(const std::string& what, std::size_t nan_count, std::size_t inf_count, std::size_t first_index)
        : value_error(what), nan_(nan_count), inf_(inf_count), first_(first_index) {}
    std::size_t nan_count() const noexcept { return nan_; }
    std::size_t inf_count() const noexcept { return inf_; }
    // Flat (row-major) index of the first NaN or Inf.
    std::size_t first_index() const noexcept { return first_; }

   private:
    std::size_t nan_, inf_, first_;
};

// The op named in check_numerics' static_assert: 'tfx::floating_elements<tfx::check_numerics_op,
// int>' evaluates to false.
struct check_numerics_op {
    static constexpr const char* name = "check_numerics";
};

namespace detail {

template <class T>
struct float_bits;
template <>
struct float_bits<float> {
    using type = std::uint32_t;
    static constexpr type exponent = 0x7F800000u;
    static constexpr type mantissa = 0x007FFFFFu;
};
template <>
struct float_bits<double> {
    using type = std::uint64_t;
    static constexpr type exponent = 0x7FF0000000000000u;
    static constexpr type mantissa = 0x000FFFFFFFFFFFFFu;
};

// 0 finite, 1 NaN, 2 +Inf, 3 -Inf. Read from the bits: right under -ffast-math too, where
// std::isnan may be folded to false.
template <class T>
inline int classify_value(T v) noexcept {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        using F = float_bits<T>;
        typename F::type u;
        std::memcpy(&u, &v, sizeof u);
        if ((u & F::exponent) != F::exponent) return 0;
        if (u & F::mantissa) return 1;
        return (u >> (8 * sizeof(T) - 1)) ? 3 : 2;
    } else {
        if (std::isnan(v)) return 1;
        if (std::isinf(v)) return v > 0 ? 2 : 3;
        return 0;
    }
}

// Elements are scanned in blocks of this many; the block holding the first bad value is scanned
// again, element by element, and so is the rest (only on the way to the exception).
inline constexpr std::size_t numerics_block = 4096;

// The start of the first block of p[0, n) that holds a NaN or an Inf, or n when all are finite.
// One pass of SIMD loads: an element is not finite when its exponent bits are all set, so each
// batch costs an and, a compare and an or; the verdict is taken once per block.
template <class T>
std::size_t first_bad_block(const T* p, std::size_t n) noexcept {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        using F = float_bits<T>;
        using U = typename F::type;
        using B = simd<T>;
        using I = xsimd::batch<U, typename B::arch_type>;
        constexpr std::size_t W = B::size;
        const I e(F::exponent);
        for (std::size_t b0 = 0; b0 < n; b0 += numerics_block) {
            const std::size_t b1 = n - b0 < numerics_block ? n : b0 + numerics_block;
            std::size_t i = b0;
            auto bad = [&](std::size_t k) { return (xsimd::bitwise_cast<I>(B::load_unaligned(p + k)) & e) == e; };
            xsimd::batch_bool<U, typename B::arch_type> hit(false);
            for (; i + 4 * W <= b1; i += 4 * W) hit = hit | ((bad(i) | bad(i + W)) | (bad(i + 2 * W) | bad(i + 3 * W)));
            for (; i + W <= b1; i += W) hit = hit | bad(i);
            bool any = xsimd::any(hit);
            for (; i < b1; ++i) {
                U u;
                std::memcpy(&u, p + i, sizeof u);
                any |= (u & F::exponent) == F::exponent;
            }
            if (any) return b0;
        }
        return n;
    } else {
        for (std::size_t i = 0; i < n; ++i)
            if (classify_value(p[i])) return i;
        return n;
    }
}

template <std::size_t R>
[[noreturn, gnu::cold, gnu::noinline]] void throw_numerics(std::string_view message, std::size_t nans, std::size_t infs,
                                                           std::size_t first, int first_kind, const dims_t<R>& d) {
    std::string m = "tfx: check_numerics: ";
    if (!message.empty()) m.append(message).append(": ");
    if (nans) m += std::to_string(nans) + " NaN";
    if (nans && infs) m += " and ";
    if (infs) m += std::to_string(infs) + " Inf";
    m += nans + infs == 1 ? " value" : " values";
    m += " in a tensor of shape " + shape_string(d) + "; the first at flat index " + std::to_string(first);
    if constexpr (R > 1) {
        dims_t<R> idx{};
        std::size_t f = first;
        for (std::size_t k = R; k-- > 0;) {
            idx[k] = f % d[k];
            f /= d[k];
        }
        m += " (index " + shape_string(idx) + ")";
    }
    m += first_kind == 1 ? " is NaN" : first_kind == 2 ? " is +Inf" : " is -Inf";
    throw numerics_error(m, nans, infs, first);
}

template <class T, std::size_t R>
void check_numerics_values(const T* p, std::size_t n, const dims_t<R>& d, std::string_view message) {
    const std::size_t from = first_bad_block(p, n);
    if (from == n) return;
    std::size_t nans = 0, infs = 0, first = n;
    int first_kind = 0;
    for (std::size_t i = from; i < n; ++i) {
        const int k = classify_value(p[i]);
        if (!k) continue;
        if (first == n) {
            first = i;
            first_kind = k;
        }
        (k == 1 ? nans : infs) += 1;
    }
    throw_numerics(message, nans, infs, first, first_kind, d);
}

}  // namespace detail

// check_numerics(x, message), as tf.debugging.check_numerics: x is a tensor or an expression with
// floating-point elements. An expression is evaluated (into a new tensor, which is returned); a
// tensor is returned as it is (a const reference to it; by value when it is a temporary). When any
// element is NaN or infinite, throws numerics_error naming the message, how many NaN and Inf there
// are, the tensor's shape, and the first one's flat index (and multi-index), e.g.
//   tfx: check_numerics: loss: 3 NaN and 1 Inf values in a tensor of shape [4, 8]; the first at
//   flat index 5 (index [0, 5]) is NaN
// The scan is one SIMD pass over the elements (memory-bound: about as fast as copying them).
// Eager only: it reads values, so inside tfx::function, grad or value_and_grad it would check the
// traced call's values and cut the gradient; check the results instead.
template <class T, index_t... E>
const tensor<T, E...>& check_numerics(const tensor<T, E...>& x, std::string_view message) {
    static_assert(floating_elements<check_numerics_op, T>,
                  "tfx: check_numerics needs floating-point elements; integers cannot be NaN or Inf (type below)");
    if constexpr (floating_elements<check_numerics_op, T>) detail::check_numerics_values(x.data(), x.size(), x.shape(), message);
    return x;
}
template <class T, index_t... E>
tensor<T, E...> check_numerics(tensor<T, E...>&& x, std::string_view message) {
    check_numerics(static_cast<const tensor<T, E...>&>(x), message);
    return std::move(x);
}
template <expression X>
    requires(!is_tensor_v<X>)
auto check_numerics(const X& x, std::string_view message) {
    static_assert(floating_elements<check_numerics_op, typename X::value_type>,
                  "tfx: check_numerics needs floating-point elements; integers cannot be NaN or Inf (type below)");
    tensor_of<X> r = x;
    if constexpr (floating_elements<check_numerics_op, typename X::value_type>)
        detail::check_numerics_values(r.data(), r.size(), r.shape(), message);
    return r;
}

// ------------------------------------------------------------------------------------------------
// flush_denormals

// While it lives, floating-point arithmetic in the calling thread flushes denormals to zero: on x86
// FTZ (denormal results become ±0) and DAZ (denormal operands are read as ±0) are set in MXCSR; on
// AArch64 the FPCR FZ bit; elsewhere it does nothing (supported is false). The destructor puts the
// two settings back as they were when it was made (so guards nest), and touches nothing else.
// The environment is per thread: other threads are not affected. Not copyable or movable: it
// belongs to the scope (and thread) that made it.
class flush_denormals {
   public:
    static constexpr bool supported = detail::flush_bits != 0;

    // When the thread already flushes (a guard further out), neither end writes the register.
    flush_denormals() noexcept : saved_(detail::get_fp_control()) {
        if (!was_flushing()) detail::flush_on();
    }
    ~flush_denormals() {
        if (!was_flushing()) detail::set_flush_bits(saved_);
    }
    flush_denormals(const flush_denormals&) = delete;
    flush_denormals& operator=(const flush_denormals&) = delete;

   private:
    bool was_flushing() const noexcept { return (saved_ & detail::flush_bits) == detail::flush_bits; }
    detail::fp_control_t saved_;
};

// Whether the calling thread flushes denormals now (on x86: FTZ and DAZ both set). False where
// flush_denormals is not supported.
inline bool denormals_flushed() noexcept {
    return flush_denormals::supported && (detail::get_fp_control() & detail::flush_bits) == detail::flush_bits;
}

}  // namespace tfx
