#pragma once
// Adagrad, as keras.optimizers.Adagrad.
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "fused_update.hpp"
#include "learning_rate.hpp"
#include "state.hpp"

namespace tfx::optimizers {

//   acc += g^2                      (slot "<var>/accumulator", starts at initial_accumulator_value)
//   w -= lr * g / sqrt(acc + epsilon)
struct adagrad {
    learning_rate_t learning_rate = 0.001;
    double initial_accumulator_value = 0.1, epsilon = 1e-7;
    detail::optimizer_state state_{};  // iterations and slots; not an option

    static constexpr const char* name = "adagrad";

    template <class... V>
    void build(const std::tuple<V&...>& vars, std::vector<std::string> names) {
        state_.build(*this, vars, std::move(names));
    }
    template <class... V>
    void build(const std::tuple<V&...>& vars) {
        state_.build(*this, vars);
    }
    template <class G, class V>
    void apply_gradients(const G& grads, const V& vars) {
        state_.apply(*this, grads, vars);
    }
    std::int64_t iterations() const { return state_.iterations(); }
    bool built() const { return state_.built(); }
    double learning_rate_at_current_step() const { return learning_rate(iterations()); }
    template <class F>
    void for_each_variable(F&& f) {
        state_.for_each_variable(f);
    }
    template <class F>
    void for_each_variable(F&& f) const {
        state_.for_each_variable(f);
    }

   private:
    friend detail::optimizer_state;
    void check_options() const {
        if (!(initial_accumulator_value >= 0))
            throw value_error("tfx: optimizers::adagrad: initial_accumulator_value must be >= 0, got " +
                              detail::number(initial_accumulator_value));
    }
    detail::slot_specs slots() const {
        detail::slot_specs s;
        s.add("accumulator", initial_accumulator_value);
        return s;
    }
    template <class T>
    void update(double lr_, std::int64_t, std::size_t n, const T* g, T* w, T* const* s) const {
        const T lr = T(lr_), eps = T(epsilon);
        detail::fused_update<1>(n, g, w, s, [=](auto gi, auto& wi, auto& acc) {
            acc = acc + gi * gi;
            wi = wi - lr * gi / detail::sqrt_of(acc + eps);
        });
    }
};

}  // namespace tfx::optimizers
