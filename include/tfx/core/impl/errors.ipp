#pragma once
// Definitions of errors.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../errors.hpp"

#include <cstddef>
#include <span>
#include <string>

namespace tfx {

TFX_INLINE std::string shape_string(std::span<const std::size_t> s) {
    std::string r = "[";
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i) r += ", ";
        r += std::to_string(s[i]);
    }
    return r + "]";
}

}  // namespace tfx
