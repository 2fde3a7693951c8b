#pragma once
// Run-time errors. Every message names the operation (or file and line), what it got and what
// it expected.
#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>

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

// "[2, 3]" for a run-time shape.
template <class Shape>
std::string shape_string(const Shape& s) {
    std::string r = "[";
    bool first = true;
    for (auto v : s) {
        if (!first) r += ", ";
        r += std::to_string(v);
        first = false;
    }
    return r + "]";
}

}  // namespace tfx
