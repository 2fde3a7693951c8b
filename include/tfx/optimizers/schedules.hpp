#pragma once
// Learning-rate schedules (tfx::optimizers::schedules): plain aggregates with
// double operator()(std::int64_t step), the Keras 3 formulas (keras.optimizers.schedules). The
// optimizer calls its schedule with its iteration count before the update: 0 on the first
// apply_gradients. See docs/optimizers.md.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "../core/errors.hpp"
#include "../core/inline.hpp"

namespace tfx::optimizers::schedules {

namespace detail {
void check_decay_steps(const char* schedule, std::int64_t decay_steps);
}  // namespace detail

// initial_learning_rate * decay_rate ^ (step / decay_steps); with staircase the exponent is
// floor(step / decay_steps).
struct exponential_decay {
    double initial_learning_rate;
    std::int64_t decay_steps;
    double decay_rate;
    bool staircase = false;

    void validate() const { detail::check_decay_steps("exponential_decay", decay_steps); }
    double operator()(std::int64_t step) const {
        validate();
        double p = double(step) / double(decay_steps);
        if (staircase) p = std::floor(p);
        return initial_learning_rate * std::pow(decay_rate, p);
    }
};

// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i],
// values.back() once step > boundaries.back(). values has one more entry than boundaries, and the
// boundaries increase strictly (value_error otherwise).
struct piecewise_constant_decay {
    std::vector<std::int64_t> boundaries;
    std::vector<double> values;

    void validate() const;
    double operator()(std::int64_t step) const {
        validate();
        // The first boundary >= step closes step's interval.
        const auto at = std::lower_bound(boundaries.begin(), boundaries.end(), step);
        return values[std::size_t(at - boundaries.begin())];
    }
};

// Cosine decay from initial_learning_rate to initial_learning_rate * alpha over decay_steps, then
// constant:  initial * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha).
// With a warmup_target, the rate first rises linearly from initial_learning_rate to warmup_target
// over warmup_steps, then decays from warmup_target as above (Keras' CosineDecay warmup).
struct cosine_decay {
    double initial_learning_rate;
    std::int64_t decay_steps;
    double alpha = 0;
    std::optional<double> warmup_target{};
    std::int64_t warmup_steps = 0;

    void validate() const;
    double operator()(std::int64_t step) const {
        validate();
        const double s = double(step);
        if (!warmup_target) return decay(std::min(s, double(decay_steps)), initial_learning_rate);
        const double w = double(warmup_steps);
        const double t = std::min(s, double(decay_steps) + w);
        if (t < w) return (*warmup_target - initial_learning_rate) * (t / w) + initial_learning_rate;
        return decay(t - w, *warmup_target);
    }

   private:
    double decay(double s, double from) const {
        const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * (s / double(decay_steps))));
        return from * ((1 - alpha) * cosine + alpha);
    }
};

}  // namespace tfx::optimizers::schedules

#ifndef TFX_COMPILED_LIB
#include "impl/schedules.ipp"
#endif
