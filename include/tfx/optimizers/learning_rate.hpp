#pragma once
// learning_rate_t: anything usable as an optimizer's learning rate, a number or a schedule (a
// callable double(std::int64_t step), e.g. schedules::cosine_decay or a lambda).
#include <concepts>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

namespace tfx::optimizers {

class learning_rate_t;

// A schedule: called with the optimizer's step count, returns the learning rate. (Numbers are not
// schedules; they convert to learning_rate_t directly.)
template <class S>
concept schedule = !std::is_arithmetic_v<std::remove_cvref_t<S>> &&
                   !std::is_same_v<std::remove_cvref_t<S>, learning_rate_t> &&
                   std::is_invocable_r_v<double, const std::remove_cvref_t<S>&, std::int64_t>;

class learning_rate_t {
   public:
    learning_rate_t(double v) : value_(v) {}

    // The schedule is validated here (schedules with validate(), e.g. piecewise_constant_decay with
    // mismatched sizes, throw value_error now) and kept immutable: copies of the learning rate share it.
    template <schedule S>
    learning_rate_t(S s) {
        if constexpr (requires { s.validate(); }) s.validate();
        schedule_ = std::make_shared<const S>(std::move(s));
        call_ = [](const void* p, std::int64_t step) { return double((*static_cast<const S*>(p))(step)); };
    }

    double operator()(std::int64_t step) const { return call_ ? call_(schedule_.get(), step) : value_; }

    // True for a schedule, false for a constant.
    bool is_schedule() const { return call_ != nullptr; }

   private:
    double value_ = 0;
    std::shared_ptr<const void> schedule_;
    double (*call_)(const void*, std::int64_t) = nullptr;  // no std::function: a call is one indirect jump
};

}  // namespace tfx::optimizers
