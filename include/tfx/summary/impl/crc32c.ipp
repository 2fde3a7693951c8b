#pragma once
// Definitions of crc32c.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../crc32c.hpp"

namespace tfx::summary {

TFX_INLINE std::uint32_t crc32c(const void* data, std::size_t n) noexcept {
    return crc32c(std::string_view(static_cast<const char*>(data), n));
}

}  // namespace tfx::summary
