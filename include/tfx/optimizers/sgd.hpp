#pragma once
// Stochastic gradient descent with optional (Nesterov) momentum, as keras.optimizers.SGD.
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "fused_update.hpp"
#include "learning_rate.hpp"
#include "state.hpp"

namespace tfx::optimizers {

// momentum == 0:  w -= lr * g
// momentum > 0:   m = momentum * m - lr * g;  w += m           (slot "<var>/momentum", zeros)
// nesterov:       m = momentum * m - lr * g;  w += momentum * m - lr * g
struct sgd {
    learning_rate_t learning_rate = 0.01;
    double momentum = 0;
    bool nesterov = false;
    detail::optimizer_state state_{};  // iterations and slots; not an option

    static constexpr const char* name = "sgd";

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
        if (!(momentum >= 0 && momentum <= 1))
            throw value_error("tfx: optimizers::sgd: momentum must be in [0, 1], got " + detail::number(momentum));
    }
    detail::slot_specs slots() const {
        detail::slot_specs s;
        if (momentum != 0) s.add("momentum");
        return s;
    }
    template <class T>
    void update(double lr_, std::int64_t, std::size_t n, const T* g, T* w, T* const* s) const {
        const T lr = T(lr_), mu = T(momentum);
        if (momentum == 0)
            detail::fused_update<0>(n, g, w, s, [=](auto gi, auto& wi) { wi = wi - gi * lr; });
        else if (!nesterov)
            detail::fused_update<1>(n, g, w, s, [=](auto gi, auto& wi, auto& m) {
                m = m * mu - gi * lr;
                wi = wi + m;
            });
        else
            detail::fused_update<1>(n, g, w, s, [=](auto gi, auto& wi, auto& m) {
                m = m * mu - gi * lr;
                wi = wi + (m * mu - gi * lr);
            });
    }
};

}  // namespace tfx::optimizers
