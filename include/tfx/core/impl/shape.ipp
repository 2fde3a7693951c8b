#pragma once
// Definitions of shape.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../shape.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace tfx {

TFX_INLINE std::string extents_string(std::span<const index_t> e) {
    std::string r = "[";
    for (std::size_t i = 0; i < e.size(); ++i) {
        if (i) r += ", ";
        r += e[i] == dyn ? std::string("?") : std::to_string(e[i]);
    }
    return r + "]";
}

// gnu::noinline is on these definitions only, not on the declarations: GCC warns (-Wattributes) when an
// inline declaration follows a noinline one.
[[noreturn, gnu::cold, gnu::noinline]] TFX_INLINE void throw_shape_mismatch(std::string_view head,
                                                                            std::span<const std::size_t> d,
                                                                            std::string_view middle,
                                                                            std::span<const index_t> extents) {
    throw shape_error(std::string(head) + shape_string(d) + std::string(middle) + extents_string(extents));
}

[[noreturn, gnu::cold, gnu::noinline]] TFX_INLINE void throw_not_fit(const char* what, std::span<const std::size_t> d,
                                                                     std::span<const index_t> extents) {
    throw_shape_mismatch(std::string("tfx: ") + what + ": shape ", d, " does not fit tensor shape ", extents);
}

}  // namespace tfx
