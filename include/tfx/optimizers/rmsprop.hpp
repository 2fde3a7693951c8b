#pragma once
// RMSprop (plain or centered, with optional momentum), as keras.optimizers.RMSprop.
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "fused_update.hpp"
#include "learning_rate.hpp"
#include "state.hpp"

namespace tfx::optimizers {

//   v = rho * v + (1 - rho) * g^2                                     (slot "<var>/velocity")
//   centered: a = rho * a + (1 - rho) * g;  d = v - a^2 + epsilon     (slot "<var>/average_gradient")
//   else:     d = v + epsilon
//   inc = lr * g / sqrt(d)
//   momentum > 0: mom = momentum * mom + inc;  w -= mom               (slot "<var>/momentum")
//   else:         w -= inc
// (epsilon is inside the square root, as in Keras.)
struct rmsprop {
    learning_rate_t learning_rate = 0.001;
    double rho = 0.9, momentum = 0, epsilon = 1e-7;
    bool centered = false;
    detail::optimizer_state state_{};  // iterations and slots; not an option

    static constexpr const char* name = "rmsprop";

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
        if (!(momentum >= 0))
            throw value_error("tfx: optimizers::rmsprop: momentum must be >= 0, got " + detail::number(momentum));
    }
    // Slots in order: velocity, momentum (momentum > 0), average_gradient (centered).
    detail::slot_specs slots() const {
        detail::slot_specs s;
        s.add("velocity");
        if (momentum > 0) s.add("momentum");
        if (centered) s.add("average_gradient");
        return s;
    }
    template <class T>
    void update(double lr_, std::int64_t, std::size_t n, const T* g, T* w, T* const* s) const {
        using detail::fused_update;
        using detail::sqrt_of;
        const T lr = T(lr_), r = T(rho), c = T(1 - rho), eps = T(epsilon), mu = T(momentum);
        const auto velocity = [=](auto gi, auto& v) { v = r * v + c * (gi * gi); };
        const auto average = [=](auto gi, auto& v, auto& a) {
            a = r * a + c * gi;
            return v - a * a + eps;
        };
        if (momentum > 0 && centered)
            fused_update<3>(n, g, w, s, [=](auto gi, auto& wi, auto& v, auto& mom, auto& a) {
                velocity(gi, v);
                mom = mu * mom + lr * gi / sqrt_of(average(gi, v, a));
                wi = wi - mom;
            });
        else if (momentum > 0)
            fused_update<2>(n, g, w, s, [=](auto gi, auto& wi, auto& v, auto& mom) {
                velocity(gi, v);
                mom = mu * mom + lr * gi / sqrt_of(v + eps);
                wi = wi - mom;
            });
        else if (centered)
            fused_update<2>(n, g, w, s, [=](auto gi, auto& wi, auto& v, auto& a) {
                velocity(gi, v);
                wi = wi - lr * gi / sqrt_of(average(gi, v, a));
            });
        else
            fused_update<1>(n, g, w, s, [=](auto gi, auto& wi, auto& v) {
                velocity(gi, v);
                wi = wi - lr * gi / sqrt_of(v + eps);
            });
    }
};

}  // namespace tfx::optimizers
