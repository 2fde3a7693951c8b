#pragma once
// Definitions of schedules.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../schedules.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace tfx::optimizers::schedules {

namespace detail {
TFX_INLINE void check_decay_steps(const char* schedule, std::int64_t decay_steps) {
    if (decay_steps <= 0)
        throw value_error(std::string("tfx: optimizers::schedules::") + schedule + ": decay_steps must be > 0, got " +
                          std::to_string(decay_steps));
}
}  // namespace detail

TFX_INLINE void piecewise_constant_decay::validate() const {
    if (values.size() != boundaries.size() + 1)
        throw value_error("tfx: optimizers::schedules::piecewise_constant_decay: values must have one more entry than "
                          "boundaries, got " + std::to_string(boundaries.size()) + " boundaries and " +
                          std::to_string(values.size()) + " values");
    for (std::size_t i = 1; i < boundaries.size(); ++i)
        if (boundaries[i] <= boundaries[i - 1])
            throw value_error("tfx: optimizers::schedules::piecewise_constant_decay: boundaries must increase "
                              "strictly, but boundaries[" + std::to_string(i - 1) + "] = " +
                              std::to_string(boundaries[i - 1]) + " and boundaries[" + std::to_string(i) +
                              "] = " + std::to_string(boundaries[i]));
}

TFX_INLINE void cosine_decay::validate() const {
    detail::check_decay_steps("cosine_decay", decay_steps);
    if (warmup_steps < 0)
        throw value_error("tfx: optimizers::schedules::cosine_decay: warmup_steps must be >= 0, got " +
                          std::to_string(warmup_steps));
}

}  // namespace tfx::optimizers::schedules
