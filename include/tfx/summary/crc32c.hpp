#pragma once
// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78), the checksum of TFRecord framing, and the
// "masked" form TFRecord stores. Software slicing-by-8 tables (usable in constant expressions);
// the SSE4.2 crc32 instruction when the compiler targets it (-msse4.2, -march=native).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#if defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

#include "../core/inline.hpp"

namespace tfx::summary {

namespace detail {

inline constexpr std::uint32_t crc32c_poly = 0x82F63B78u;

// tables[0] is the classic byte table; tables[k][b] is the CRC of byte b followed by k zero bytes,
// so eight bytes are folded with eight independent lookups.
inline constexpr auto crc32c_tables = [] {
    std::array<std::array<std::uint32_t, 256>, 8> t{};
    for (std::uint32_t b = 0; b < 256; ++b) {
        std::uint32_t c = b;
        for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ crc32c_poly : c >> 1;
        t[0][b] = c;
    }
    for (std::size_t k = 1; k < 8; ++k)
        for (std::size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
    return t;
}();

// The software path on the raw (not pre/post-inverted) register.
constexpr std::uint32_t crc32c_update_portable(std::uint32_t c, std::string_view s) noexcept {
    const auto& t = crc32c_tables;
    std::size_t i = 0, n = s.size();
    auto byte = [&](std::size_t k) { return std::uint32_t(static_cast<unsigned char>(s[k])); };
    for (; i + 8 <= n; i += 8) {
        const std::uint32_t lo = c ^ (byte(i) | byte(i + 1) << 8 | byte(i + 2) << 16 | byte(i + 3) << 24);
        c = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^
            t[3][byte(i + 4)] ^ t[2][byte(i + 5)] ^ t[1][byte(i + 6)] ^ t[0][byte(i + 7)];
    }
    for (; i < n; ++i) c = (c >> 8) ^ t[0][(c ^ byte(i)) & 0xFFu];
    return c;
}

#if defined(__SSE4_2__)
inline std::uint32_t crc32c_update_sse42(std::uint32_t c, std::string_view s) noexcept {
    const char* p = s.data();
    std::size_t n = s.size();
#if defined(__x86_64__) || defined(_M_X64)
    std::uint64_t c64 = c;
    for (; n >= 8; n -= 8, p += 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);  // little-endian on x86, as the CRC's byte order wants
        c64 = _mm_crc32_u64(c64, w);
    }
    c = std::uint32_t(c64);
#endif
    for (; n > 0; --n, ++p) c = _mm_crc32_u8(c, static_cast<unsigned char>(*p));
    return c;
}
#endif

}  // namespace detail

// Extends `crc` (the CRC-32C of some earlier bytes; 0 for none) with `data`:
// crc32c_extend(crc32c(a), b) == crc32c(a + b).
constexpr std::uint32_t crc32c_extend(std::uint32_t crc, std::string_view data) noexcept {
#if defined(__SSE4_2__)
    if (!std::is_constant_evaluated()) return ~detail::crc32c_update_sse42(~crc, data);
#endif
    return ~detail::crc32c_update_portable(~crc, data);
}

// CRC-32C of `data`: crc32c("123456789") == 0xE3069283.
constexpr std::uint32_t crc32c(std::string_view data) noexcept { return crc32c_extend(0, data); }
std::uint32_t crc32c(const void* data, std::size_t n) noexcept;

// The software path alone, whatever the compiler targets (the tests compare both).
constexpr std::uint32_t crc32c_portable(std::string_view data) noexcept {
    return ~detail::crc32c_update_portable(~0u, data);
}

// TFRecord stores CRCs masked: a CRC of data that itself holds CRCs is then not degenerate.
inline constexpr std::uint32_t crc_mask_delta = 0xA282EAD8u;
constexpr std::uint32_t mask_crc(std::uint32_t crc) noexcept {
    return ((crc >> 15) | (crc << 17)) + crc_mask_delta;
}
constexpr std::uint32_t unmask_crc(std::uint32_t masked) noexcept {
    const std::uint32_t rot = masked - crc_mask_delta;
    return (rot >> 17) | (rot << 15);
}
constexpr std::uint32_t masked_crc32c(std::string_view data) noexcept { return mask_crc(crc32c(data)); }

static_assert(crc32c("123456789") == 0xE3069283u);

}  // namespace tfx::summary

#ifndef TFX_COMPILED_LIB
#include "impl/crc32c.ipp"
#endif
