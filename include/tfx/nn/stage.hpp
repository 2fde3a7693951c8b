#pragma once
// A stage is one differentiable piece of a layer, y = f(params..., x), with its forward pass and its
// pullback each compiled once as a tfx::function (planned buffers, no allocation in steady state).
// The pullback is derived by tfx's compile-time reverse mode from f itself: a layer never writes its
// own gradient. Layers chain stages and keep each stage's output, so the backward pass of a stage
// recomputes nothing that an earlier stage already produced (dense keeps x·W + b for its
// activation's backward pass, for instance).
#include "../tfx.hpp"

namespace tfx::nn::detail {

template <class F, std::size_t NP>
class stage {
    // (params..., x, g) -> (d params..., d x) when NeedDx, else (d params...).
    template <bool NeedDx>
    struct pullback {
        F f;
        template <bool Nested, class... S>
        auto operator()(traced_tag<Nested>, tfx::detail::eval_ctx& ctx, const S&... s) {
            constexpr std::size_t n = sizeof...(S) - 1;  // the primal arguments: NP parameters and x
            auto all = std::tie(s...);
            return [&]<std::size_t... I>(std::index_sequence<I...>) {
                auto y = tfx::detail::invoke_traced<true>(f, ctx, std::get<I>(all)...);
                if constexpr (NeedDx)
                    return tfx::detail::cotangents_of<false, I...>(ctx, y, std::get<n>(all), std::get<I>(all)...);
                else
                    return [&]<std::size_t... J>(std::index_sequence<J...>) {
                        return tfx::detail::cotangents_of<false, J...>(ctx, y, std::get<n>(all), std::get<I>(all)...);
                    }(std::make_index_sequence<NP>{});
            }(std::make_index_sequence<n>{});
        }
    };

   public:
    explicit stage(F f = F{}) : f_(f), fwd_(f), bwd_dx_(pullback<true>{f}), bwd_(pullback<false>{f}) {}

    // y = f(params..., x): a reference to the stage's own output tensor.
    template <class... A>
    decltype(auto) forward(const A&... a) {
        return fwd_(a...);
    }
    // The cotangents for g = dL/dy: a tuple of references, d params... then d x when NeedDx.
    template <bool NeedDx, class... A>
    decltype(auto) backward(const A&... a_and_g) {
        if constexpr (NeedDx)
            return bwd_dx_(a_and_g...);
        else
            return bwd_(a_and_g...);
    }
    // The inference expression (for a model's fused predict function).
    template <class... A>
    auto expr(const A&... a) const {
        return fn()(a...);
    }
    const F& fn() const { return f_; }

   private:
    F f_;
    function<F> fwd_;
    function<pullback<true>> bwd_dx_;
    function<pullback<false>> bwd_;
};

}  // namespace tfx::nn::detail
