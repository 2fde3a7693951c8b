#pragma once
// Activations as function objects: activations::relu(x) is the expression relu(x), and the object
// itself (a distinct type per activation) is what layers take, so the activation is part of the
// layer's type and fuses with the layer's other elementwise work.
#include "../tfx.hpp"

namespace tfx::activations {

struct linear_t {
    static constexpr const char* name = "linear";
    template <class X>
    decltype(auto) operator()(X&& x) const {
        return std::forward<X>(x);
    }
};
#define TFX_ACTIVATION(id, expr)                              \
    struct id##_t {                                           \
        static constexpr const char* name = #id;              \
        template <class X>                                    \
        auto operator()(const X& x) const {                   \
            return expr;                                      \
        }                                                     \
    };                                                        \
    inline constexpr id##_t id{};
TFX_ACTIVATION(relu, tfx::relu(x))
TFX_ACTIVATION(sigmoid, tfx::sigmoid(x))
TFX_ACTIVATION(tanh, tfx::tanh(x))
TFX_ACTIVATION(gelu, tfx::gelu(x))
TFX_ACTIVATION(softplus, tfx::softplus(x))
TFX_ACTIVATION(softmax, tfx::softmax<-1>(x))
TFX_ACTIVATION(log_softmax, tfx::log_softmax<-1>(x))
#undef TFX_ACTIVATION
inline constexpr linear_t linear{};

// Activations with a parameter (Keras defaults).
struct elu_t {
    static constexpr const char* name = "elu";
    float alpha = 1.0f;
    template <class X>
    auto operator()(const X& x) const {
        return tfx::elu(x, double(alpha));
    }
};
inline constexpr elu_t elu{};
struct leaky_relu_t {
    static constexpr const char* name = "leaky_relu";
    float alpha = 0.2f;  // as tf.nn.leaky_relu and tfx::leaky_relu
    template <class X>
    auto operator()(const X& x) const {
        return tfx::leaky_relu(x, double(alpha));
    }
};
inline constexpr leaky_relu_t leaky_relu{};

template <class A>
concept activation = requires { A::name; };

}  // namespace tfx::activations
