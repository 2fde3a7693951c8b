#pragma once
// Run-time errors. Every message names the operation (or file and line), what it got and what
// it expected.
#include <array>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "inline.hpp"

namespace tfx {

class error : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
};
class shape_error : public error {
   public:
    using error::error;
};
class value_error : public error {
   public:
    using error::error;
};
class io_error : public error {
   public:
    using error::error;
};

// "[2, 3]" for a run-time shape. The work is one plain function: messages are built for many
// shape types, and each template instance would be compiled in every TU that names it.
std::string shape_string(std::span<const std::size_t> s);
template <class Shape>
std::string shape_string(const Shape& s) {
    if constexpr (std::is_convertible_v<const Shape&, std::span<const std::size_t>>) {
        return shape_string(std::span<const std::size_t>(s));
    } else {
        std::string r = "[";
        bool first = true;
        for (auto v : s) {
            if (!first) r += ", ";
            r += std::to_string(v);
            first = false;
        }
        return r + "]";
    }
}

}  // namespace tfx

#ifndef TFX_COMPILED_LIB
#include "impl/errors.ipp"
#endif
