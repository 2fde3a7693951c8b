#pragma once
// Definitions of state.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../state.hpp"

#include <charconv>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tfx::optimizers::detail {

TFX_INLINE std::string describe(const char* dtype, std::span<const std::size_t> dims) {
    return std::string("a ") + dtype + " tensor of shape " + shape_string(dims);
}

TFX_INLINE std::string describe(const variable_slots& r) {
    return std::visit(
        [&]<class T, std::size_t R>(const slots_of<T, R>&) { return describe<T>(r.dims); }, r.slots);
}

TFX_INLINE std::string number(double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

TFX_INLINE std::string in_quotes(std::string_view s) {  // (appended: GCC 12 warns falsely about "\"" + std::string)
    std::string r;
    r.reserve(s.size() + 2);
    r.append(1, '"').append(s).append(1, '"');
    return r;
}

TFX_INLINE std::vector<std::string> optimizer_state::default_names(std::size_t n) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < n; ++i) names.push_back(std::to_string(i));
    return names;
}

// gnu::noinline is on these definitions only, not on the declarations: GCC warns (-Wattributes) when an
// inline declaration follows a noinline one.
[[noreturn, gnu::cold, gnu::noinline]] TFX_INLINE void optimizer_state::throw_variable_count(const op_id& op,
                                                                                            std::size_t got) const {
    throw shape_error(op() + ": the optimizer was built for " + std::to_string(vars_.size()) + " variables, got " +
                      std::to_string(got));
}
[[noreturn, gnu::cold, gnu::noinline]] TFX_INLINE void optimizer_state::throw_slot_count(const op_id& op,
                                                                                        std::size_t count) const {
    throw value_error(op() + ": the options ask for " + std::to_string(count) +
                      " slots per variable, but the optimizer was built with " + std::to_string(slot_count_) +
                      "; options that add or remove slots cannot change after build");
}
[[noreturn, gnu::cold, gnu::noinline]] TFX_INLINE void optimizer_state::throw_not_built_for(
    const op_id& op, std::size_t i, const char* dtype, std::span<const std::size_t> d) const {
    throw shape_error(op() + ": " + variable_name(i) + " is " + describe(dtype, d) + ", but the optimizer was built for " +
                      describe(vars_[i]));
}
[[noreturn, gnu::cold, gnu::noinline]] TFX_INLINE void optimizer_state::throw_gradient_shape(
    const op_id& op, std::size_t i, const char* dtype, std::span<const std::size_t> g,
    std::span<const std::size_t> v) const {
    throw shape_error(op() + ": the gradient of " + variable_name(i) + " is " + describe(dtype, g) + ", but the variable is " +
                      describe(dtype, v));
}

}  // namespace tfx::optimizers::detail
