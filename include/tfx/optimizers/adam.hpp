#pragma once
// Adam (with AMSGrad) and AdamW (decoupled weight decay), as keras.optimizers.Adam and AdamW.
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "fused_update.hpp"
#include "learning_rate.hpp"
#include "state.hpp"

namespace tfx::optimizers {

namespace detail {
// What one Adam step at iteration `iteration` (0 on the first step) needs, computed once per step
// for all variables (the bias correction takes two pow): the step size alpha, the moments'
// rates, epsilon, and the decoupled weight decay lr * wd (AdamW; 0 for Adam).
struct adam_step {
    double alpha, c1, c2, epsilon, decay;
    bool amsgrad;
};
inline adam_step adam_constants(double lr, std::int64_t iteration, double beta_1, double beta_2, double epsilon, bool amsgrad,
                                double weight_decay) {
    const double t = double(iteration + 1);
    return {lr * std::sqrt(1 - std::pow(beta_2, t)) / (1 - std::pow(beta_1, t)), 1 - beta_1, 1 - beta_2, epsilon,
            lr * weight_decay, amsgrad};
}
// The step on one variable, with w -= lr * wd * w first when decay != 0 (AdamW). Slots: m, v (and
// vhat with amsgrad).
template <class T>
void adam_update(const adam_step& k, std::size_t n, const T* g, T* w, T* const* s) {
    const T alpha = T(k.alpha), c1 = T(k.c1), c2 = T(k.c2), eps = T(k.epsilon), decay = T(k.decay);
    const bool amsgrad = k.amsgrad;
    const auto moments = [=](auto gi, auto& m, auto& v) {
        m = m + (gi - m) * c1;
        v = v + (gi * gi - v) * c2;
    };
    // Decay is a compile-time switch: w - w * 0 is not w when w is inf.
    const auto run = [&]<bool Decay>() {
        if (amsgrad)
            fused_update<3>(n, g, w, s, [=](auto gi, auto& wi, auto& m, auto& v, auto& vhat) {
                if constexpr (Decay) wi = wi - wi * decay;
                moments(gi, m, v);
                vhat = max_of(vhat, v);
                wi = wi - (m * alpha) / (sqrt_of(vhat) + eps);
            });
        else
            fused_update<2>(n, g, w, s, [=](auto gi, auto& wi, auto& m, auto& v) {
                if constexpr (Decay) wi = wi - wi * decay;
                moments(gi, m, v);
                wi = wi - (m * alpha) / (sqrt_of(v) + eps);
            });
    };
    if (k.decay != 0)
        run.template operator()<true>();
    else
        run.template operator()<false>();
}
}  // namespace detail

// t = iterations + 1 (the step being taken), lr = learning_rate(iterations):
//   alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
//   m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)        (slots "<var>/m", "<var>/v")
//   amsgrad: vhat = max(vhat, v), used in place of v                    (slot "<var>/vhat")
//   w -= alpha * m / (sqrt(v) + epsilon)
struct adam {
    learning_rate_t learning_rate = 0.001;
    double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7;
    bool amsgrad = false;
    detail::optimizer_state state_{};  // iterations and slots; not an option

    static constexpr const char* name = "adam";

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
    void check_options() const {}
    detail::slot_specs slots() const {
        detail::slot_specs s;
        s.add("m");
        s.add("v");
        if (amsgrad) s.add("vhat");
        return s;
    }
    detail::adam_step step_constants(double lr, std::int64_t it) const {
        return detail::adam_constants(lr, it, beta_1, beta_2, epsilon, amsgrad, 0.0);
    }
    template <class T>
    void update(const detail::adam_step& k, std::size_t n, const T* g, T* w, T* const* s) const {
        detail::adam_update(k, n, g, w, s);
    }
};

// Adam with decoupled weight decay, applied to the variable before the Adam step:
//   w -= lr * weight_decay * w;  then the adam step above (same slots).
struct adamw {
    learning_rate_t learning_rate = 0.001;
    double weight_decay = 0.004;
    double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7;
    bool amsgrad = false;
    detail::optimizer_state state_{};  // iterations and slots; not an option

    static constexpr const char* name = "adamw";

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
    void check_options() const {}
    detail::slot_specs slots() const {
        detail::slot_specs s;
        s.add("m");
        s.add("v");
        if (amsgrad) s.add("vhat");
        return s;
    }
    detail::adam_step step_constants(double lr, std::int64_t it) const {
        return detail::adam_constants(lr, it, beta_1, beta_2, epsilon, amsgrad, weight_decay);
    }
    template <class T>
    void update(const detail::adam_step& k, std::size_t n, const T* g, T* w, T* const* s) const {
        detail::adam_update(k, n, g, w, s);
    }
};

}  // namespace tfx::optimizers
