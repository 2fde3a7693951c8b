#pragma once
// Keras-style layers (DESIGN.md §6). A layer is written twice over, in two small forms:
//
// - the spec the user writes in a model, `layers::dense<128>(activations::relu)`, which does not
//   know its input yet, and
// - the built layer, `spec::built<T, In>`, once the input shape In = shape<dyn, E...> is known (a
//   sequential model deduces it at compile time; a subclassed model names it:
//   `layers::layer<layers::dense<128>(activations::relu), 64>`).
//
// A built layer owns its variables and has three faces:
// - `layer(x)`: the inference expression over its variables and x (fuses with its neighbours);
// - `forward_train(x, ctx)` / `backward<NeedDx>(g)`: the training passes, one compiled stage per
//   differentiable piece (see stage.hpp), whose pullbacks tfx derives from the forward rule;
// - `trainable()`, `state()` (with `trainable_names`, `state_names`), `gradients()` after a
//   backward pass, and `initialize(generator&)`.
#include <array>
#include <string>
#include <tuple>

#include "../tfx.hpp"
#include "../expr/conv.hpp"
#include "activations.hpp"
#include "initializers.hpp"
#include "stage.hpp"

namespace tfx::nn {

// What a training pass hands the layers: the generator that draws dropout masks.
struct train_context {
    random::generator* gen = nullptr;
};

namespace detail {
template <class T, class S>
struct tensor_for;
template <class T, index_t... E>
struct tensor_for<T, shape<E...>> {
    using type = tensor<T, E...>;
};
template <class T, class S>
using tensor_t = typename tensor_for<T, S>::type;

// shape<dyn, E...> -> shape<E...>
template <class S>
struct features_of;
template <index_t B, index_t... E>
struct features_of<shape<B, E...>> {
    using type = shape<E...>;
};

template <class A>
inline constexpr bool is_linear = std::is_same_v<A, activations::linear_t>;

// "[?, 8, 8, 1]"
template <class S>
std::string shape_name() {
    std::string r = "[";
    for (std::size_t i = 0; i < S::rank; ++i) {
        if (i) r += ", ";
        r += S::extents[i] == dyn ? std::string("?") : std::to_string(S::extents[i]);
    }
    return r + "]";
}

// The common part of a layer made of a parametrised stage f(params..., x) and an activation stage.
// Derived provides `params()` (a std::tie of its trainable tensors). The stage functions (f and the
// activation, with their parameters such as elu's alpha) live in the stages, once.
template <class Derived, class T, class In, class Out, class F, class Act, class... Params>
class stage_layer {
   public:
    using value_type = T;
    using input_shape = In;
    using output_shape = Out;
    using input_type = tensor_t<T, In>;
    using output_type = tensor_t<T, Out>;

    explicit stage_layer(F f = {}, Act a = {}) : pre_(f), act_(a) {}

    const Act& activation() const { return act_.fn(); }
    // The inference expression over the layer's variables and x.
    template <class X>
    auto operator()(const X& x) const {
        return std::apply([&](const auto&... p) { return act_.fn()(pre_.fn()(p..., x)); }, self().params());
    }

    const output_type& forward_train(const input_type& x, train_context&) {
        x_ = &x;
        z_ = &std::apply([&](const auto&... p) -> decltype(auto) { return pre_.forward(p..., x); }, self().params());
        if constexpr (is_linear<Act>)
            return *z_;
        else
            return act_.forward(*z_);
    }
    template <bool NeedDx>
    const input_type* backward(const output_type& g) {
        const output_type* gz = &g;
        if constexpr (!is_linear<Act>) gz = &std::get<0>(act_.template backward<true>(*z_, g));
        auto r = std::apply([&](const auto&... p) { return pre_.template backward<NeedDx>(p..., *x_, *gz); }, self().params());
        grads_ = std::apply([](const auto&... d) { return param_ptrs{&d...}; }, head(r, std::make_index_sequence<n_params>{}));
        if constexpr (NeedDx)
            return &std::get<n_params>(r);
        else
            return nullptr;
    }
    // d loss / d params (after backward): references to tensors owned by the layer's stages.
    auto gradients() const {
        return std::apply([](auto*... d) { return std::tie(*d...); }, grads_);
    }

   private:
    static constexpr std::size_t n_params = sizeof...(Params);
    template <class R, std::size_t... I>
    static auto head(const R& r, std::index_sequence<I...>) {
        return std::tie(std::get<I>(r)...);
    }
    const Derived& self() const { return static_cast<const Derived&>(*this); }
    Derived& self() { return static_cast<Derived&>(*this); }

    using param_ptrs = std::tuple<const Params*...>;

    stage<F, n_params> pre_;
    stage<Act, 0> act_;
    const input_type* x_ = nullptr;
    const output_type* z_ = nullptr;
    param_ptrs grads_{};
};

struct affine {
    template <class W, class B, class X>
    auto operator()(const W& w, const B& b, const X& x) const {
        return matmul(x, w) + b;
    }
};
template <index_t SH, index_t SW, padding P>
struct conv_affine {
    template <class W, class B, class X>
    auto operator()(const W& w, const B& b, const X& x) const {
        return conv2d<SH, SW, P>(x, w) + b;
    }
};
struct none_t {};
}  // namespace detail

}  // namespace tfx::nn

namespace tfx::layers {

using nn::train_context;

// ---- input<E...>: the input of a sequential model, [?, E...] of float (input_of<T, E...> for others).
template <class T, index_t... E>
struct input_spec {
    using value_type = T;
    using shape_type = shape<dyn, E...>;
};
template <index_t... E>
inline constexpr input_spec<float, E...> input{};
template <class T, index_t... E>
inline constexpr input_spec<T, E...> input_of{};

// ---- dense: act(x · kernel + bias), x [?, F] -> [?, Units]
template <class T, class In, index_t Units, class Act>
class dense_layer : public nn::detail::stage_layer<dense_layer<T, In, Units, Act>, T, In, shape<dyn, Units>,
                                                   nn::detail::affine, Act, tensor<T, In::extents[1], Units>,
                                                   tensor<T, Units>> {
    static_assert(In::rank == 2, "tfx: dense: expects an input [?, features] (flatten it first); the input shape is below");
    static constexpr index_t F = In::extents[In::rank - 1];

   public:
    static constexpr const char* kind = "dense";
    static constexpr std::array<const char*, 2> trainable_names{"kernel", "bias"};
    static constexpr std::array<const char*, 0> state_names{};
    tensor<T, F, Units> kernel;
    tensor<T, Units> bias;

    dense_layer() = default;
    explicit dense_layer(Act a) : dense_layer::stage_layer({}, a) {}
    auto params() { return std::tie(kernel, bias); }
    auto params() const { return std::tie(kernel, bias); }
    auto trainable() { return params(); }
    auto trainable() const { return params(); }
    auto state() { return std::tuple<>(); }
    auto state() const { return std::tuple<>(); }
    void initialize(random::generator& gen) {
        initializers::glorot_uniform{}(kernel, gen, double(F), double(Units));
        bias.fill(T(0));
    }
};
template <index_t Units, class Act = activations::linear_t>
struct dense_spec {
    static_assert(Units > 0, "tfx: dense: the number of units must be positive");
    template <class T, class In>
    static constexpr bool accepts = In::rank == 2 && std::is_floating_point_v<T>;
    Act activation{};
    template <class T, class In>
    using built = dense_layer<T, In, Units, Act>;
    template <class T, class In>
    built<T, In> build() const {
        return built<T, In>(activation);
    }
};
template <index_t Units, class Act = activations::linear_t>
constexpr dense_spec<Units, Act> dense(Act a = {}) {
    return {a};
}

// ---- conv2d: act(conv(x, kernel) + bias), NHWC; kernel [KH, KW, C, Filters].
template <class T, class In, index_t Filters, index_t KH, index_t KW, padding P, index_t SH, index_t SW, class Act>
struct conv_out {
    static_assert(In::rank == 4, "tfx: conv2d: expects an input [?, height, width, channels]; the input shape is below");
    static constexpr index_t H = In::extents[1], W = In::extents[2];
    static constexpr index_t OH = P == padding::same ? (H + SH - 1) / SH : (H - KH) / SH + 1;
    static constexpr index_t OW = P == padding::same ? (W + SW - 1) / SW : (W - KW) / SW + 1;
    using type = shape<dyn, OH, OW, Filters>;
};
template <class T, class In, index_t Filters, index_t KH, index_t KW, padding P, index_t SH, index_t SW, class Act>
class conv2d_layer
    : public nn::detail::stage_layer<conv2d_layer<T, In, Filters, KH, KW, P, SH, SW, Act>, T, In,
                                     typename conv_out<T, In, Filters, KH, KW, P, SH, SW, Act>::type,
                                     nn::detail::conv_affine<SH, SW, P>, Act, tensor<T, KH, KW, In::extents[3], Filters>,
                                     tensor<T, Filters>> {
    static constexpr index_t C = In::extents[3];

   public:
    static constexpr const char* kind = "conv2d";
    static constexpr std::array<const char*, 2> trainable_names{"kernel", "bias"};
    static constexpr std::array<const char*, 0> state_names{};
    tensor<T, KH, KW, C, Filters> kernel;
    tensor<T, Filters> bias;

    conv2d_layer() = default;
    explicit conv2d_layer(Act a) : conv2d_layer::stage_layer({}, a) {}
    auto params() { return std::tie(kernel, bias); }
    auto params() const { return std::tie(kernel, bias); }
    auto trainable() { return params(); }
    auto trainable() const { return params(); }
    auto state() { return std::tuple<>(); }
    auto state() const { return std::tuple<>(); }
    void initialize(random::generator& gen) {
        initializers::glorot_uniform{}(kernel, gen, double(KH * KW * C), double(KH * KW * Filters));
        bias.fill(T(0));
    }
};
template <index_t Filters, index_t KH, index_t KW, padding P, index_t SH, index_t SW, class Act>
struct conv2d_spec {
    template <class T, class In>
    static constexpr bool accepts = In::rank == 4 && std::is_floating_point_v<T> &&
                                    (P == padding::same || (In::extents[1] >= KH && In::extents[2] >= KW));
    Act activation{};
    template <class T, class In>
    using built = conv2d_layer<T, In, Filters, KH, KW, P, SH, SW, Act>;
    template <class T, class In>
    built<T, In> build() const {
        return built<T, In>(activation);
    }
};
// conv2d<filters, kernel_h, kernel_w = kernel_h, padding = valid, stride_h = 1, stride_w = stride_h>(activation)
template <index_t Filters, index_t KH, index_t KW = KH, padding P = padding::valid, index_t SH = 1, index_t SW = SH,
          class Act = activations::linear_t>
constexpr conv2d_spec<Filters, KH, KW, P, SH, SW, Act> conv2d(Act a = {}) {
    return {a};
}

// ---- layers without variables: one stage f(x).
namespace detail_layers {
template <class T, class In, class Out, class F, const char* Kind>
class fn_layer : public nn::detail::stage_layer<fn_layer<T, In, Out, F, Kind>, T, In, Out, F, activations::linear_t> {
   public:
    static constexpr const char* kind = Kind;
    static constexpr std::array<const char*, 0> trainable_names{}, state_names{};
    fn_layer() = default;
    explicit fn_layer(F f) : fn_layer::stage_layer(f) {}
    auto params() const { return std::tuple<>(); }
    auto trainable() const { return std::tuple<>(); }
    auto state() const { return std::tuple<>(); }
    void initialize(random::generator&) {}
};
inline constexpr char flatten_kind[] = "flatten", max_pool_kind[] = "max_pooling2d", avg_pool_kind[] = "average_pooling2d",
                      gap_kind[] = "global_average_pooling2d", activation_kind[] = "activation";

template <index_t N>
struct flatten_fn {
    template <class X>
    auto operator()(const X& x) const {
        return reshape<dyn, N>(x);
    }
};
template <index_t PH, index_t PW, padding P, index_t SH, index_t SW>
struct max_pool_fn {
    template <class X>
    auto operator()(const X& x) const {
        return max_pool2d<PH, PW, SH, SW, P>(x);
    }
};
template <index_t PH, index_t PW, padding P, index_t SH, index_t SW>
struct avg_pool_fn {
    template <class X>
    auto operator()(const X& x) const {
        return avg_pool2d<PH, PW, SH, SW, P>(x);
    }
};
struct gap_fn {
    template <class X>
    auto operator()(const X& x) const {
        return global_average_pool2d(x);
    }
};
template <class A>
struct activation_fn {
    A a{};
    template <class X>
    auto operator()(const X& x) const {
        return a(x);
    }
};
template <class S>
constexpr index_t feature_count() {
    index_t n = 1;
    for (std::size_t i = 1; i < S::rank; ++i) n *= S::extents[i];
    return n;
}
}  // namespace detail_layers

struct flatten_spec {
    template <class T, class In>
    using built = detail_layers::fn_layer<T, In, shape<dyn, detail_layers::feature_count<In>()>,
                                          detail_layers::flatten_fn<detail_layers::feature_count<In>()>,
                                          detail_layers::flatten_kind>;
    template <class T, class In>
    built<T, In> build() const {
        return {};
    }
};
constexpr flatten_spec flatten() { return {}; }

template <class In, index_t PH, index_t PW, padding P, index_t SH, index_t SW>
struct pool_out {
    static_assert(In::rank == 4, "tfx: pooling: expects an input [?, height, width, channels]; the input shape is below");
    static constexpr index_t H = In::extents[1], W = In::extents[2], C = In::extents[3];
    static constexpr index_t OH = P == padding::same ? (H + SH - 1) / SH : (H - PH) / SH + 1;
    static constexpr index_t OW = P == padding::same ? (W + SW - 1) / SW : (W - PW) / SW + 1;
    using type = shape<dyn, OH, OW, C>;
};
template <bool Max, index_t PH, index_t PW, padding P, index_t SH, index_t SW>
struct pool_spec {
    template <class T, class In>
    static constexpr bool accepts = In::rank == 4 && (P == padding::same || (In::extents[1] >= PH && In::extents[2] >= PW));
    template <class T, class In>
    using built = detail_layers::fn_layer<
        T, In, typename pool_out<In, PH, PW, P, SH, SW>::type,
        std::conditional_t<Max, detail_layers::max_pool_fn<PH, PW, P, SH, SW>, detail_layers::avg_pool_fn<PH, PW, P, SH, SW>>,
        Max ? detail_layers::max_pool_kind : detail_layers::avg_pool_kind>;
    template <class T, class In>
    built<T, In> build() const {
        return {};
    }
};
// max_pool2d<pool_h, pool_w = pool_h, padding = valid, stride_h = pool_h, stride_w = pool_w>()
template <index_t PH, index_t PW = PH, padding P = padding::valid, index_t SH = PH, index_t SW = PW>
constexpr pool_spec<true, PH, PW, P, SH, SW> max_pool2d() {
    return {};
}
template <index_t PH, index_t PW = PH, padding P = padding::valid, index_t SH = PH, index_t SW = PW>
constexpr pool_spec<false, PH, PW, P, SH, SW> avg_pool2d() {
    return {};
}
template <class In>
struct gap_out {
    static_assert(In::rank == 4, "tfx: global_average_pool2d: expects an input [?, height, width, channels]; the input shape is below");
    using type = shape<dyn, In::extents[3]>;
};
struct gap_spec {
    template <class T, class In>
    static constexpr bool accepts = In::rank == 4;
    template <class T, class In>
    using built = detail_layers::fn_layer<T, In, typename gap_out<In>::type, detail_layers::gap_fn, detail_layers::gap_kind>;
    template <class T, class In>
    built<T, In> build() const {
        return {};
    }
};
constexpr gap_spec global_average_pool2d() { return {}; }

template <class A>
struct activation_spec {
    A a{};
    template <class T, class In>
    using built = detail_layers::fn_layer<T, In, In, detail_layers::activation_fn<A>, detail_layers::activation_kind>;
    template <class T, class In>
    built<T, In> build() const {
        return built<T, In>(detail_layers::activation_fn<A>{a});
    }
};
template <class A>
constexpr activation_spec<A> activation(A a) {
    return {a};
}

// ---- dropout: in training, each element is kept with probability 1 - rate and scaled by
// 1 / (1 - rate) (inverted dropout, as Keras); in inference, the identity.
template <class T, class In>
class dropout_layer {
   public:
    using value_type = T;
    using input_shape = In;
    using output_shape = In;
    using input_type = nn::detail::tensor_t<T, In>;
    using output_type = input_type;
    static constexpr const char* kind = "dropout";
    static constexpr std::array<const char*, 0> trainable_names{}, state_names{};
    float rate = 0.5f;

    dropout_layer() = default;
    explicit dropout_layer(float r) : rate(r) {
        if (!(r >= 0.f && r < 1.f))
            throw value_error("tfx: dropout: rate must be in [0, 1), got " + std::to_string(r));
    }
    auto trainable() const { return std::tuple<>(); }
    auto state() const { return std::tuple<>(); }
    auto gradients() const { return std::tuple<>(); }
    void initialize(random::generator&) {}

    template <class X>
    auto operator()(const X& x) const {
        return as_node(x);
    }
    const output_type& forward_train(const input_type& x, train_context& ctx) {
        if (rate == 0.f) return x;
        if (!ctx.gen) throw value_error("tfx: dropout: training needs a random generator");
        if (mask_.shape() != x.shape()) mask_.resize(x.shape());
        const T keep_scale = T(1) / (T(1) - T(rate));
        for (auto& m : mask_) m = ctx.gen->uniform01() >= rate ? keep_scale : T(0);
        y_ = x * mask_;
        return y_;
    }
    template <bool NeedDx>
    const input_type* backward(const output_type& g) {
        if constexpr (!NeedDx) return nullptr;
        if (rate == 0.f) return &g;
        dx_ = g * mask_;
        return &dx_;
    }

   private:
    input_type mask_, y_, dx_;
};
struct dropout_spec {
    float rate;
    template <class T, class In>
    using built = dropout_layer<T, In>;
    template <class T, class In>
    built<T, In> build() const {
        return built<T, In>(rate);
    }
};
constexpr dropout_spec dropout(float rate) { return {rate}; }

// ---- normalizations over the last (feature) axis.
namespace detail_layers {
template <std::size_t R, class X>
auto batch_mean(const X& x) {
    return [&]<int... A>(std::integer_sequence<int, A...>) { return mean<A...>(x, keepdims); }(
        std::make_integer_sequence<int, int(R) - 1>{});
}
template <std::size_t R>
struct batch_norm_train_fn {
    double epsilon;
    template <class G, class B, class X>
    auto operator()(const G& gamma, const B& beta, const X& x) const {
        using T = typename X::value_type;
        auto c = x - batch_mean<R>(x);
        return c * rsqrt(batch_mean<R>(square(c)) + T(epsilon)) * gamma + beta;
    }
};
struct layer_norm_fn {
    double epsilon;
    template <class G, class B, class X>
    auto operator()(const G& gamma, const B& beta, const X& x) const {
        using T = typename X::value_type;
        auto c = x - mean<-1>(x, keepdims);
        return c * rsqrt(mean<-1>(square(c), keepdims) + T(epsilon)) * gamma + beta;
    }
};
}  // namespace detail_layers

// batch_norm: in training, normalizes with the batch's mean and (biased) variance over every axis but
// the last and updates the moving statistics (moving = momentum * moving + (1 - momentum) * batch);
// in inference, normalizes with the moving statistics. Keras's defaults: momentum 0.99, epsilon 1e-3.
template <class T, class In>
class batch_norm_layer {
    static constexpr index_t C = In::extents[In::rank - 1];
    using train_fn = detail_layers::batch_norm_train_fn<In::rank>;
    struct stats_fn {
        template <class M, class V, class X>
        auto operator()(const M& mm, const V& mv, const X& x, T momentum) const {
            auto mu = detail_layers::batch_mean<In::rank>(x);
            auto var = detail_layers::batch_mean<In::rank>(square(x - mu));
            return std::tuple{momentum * mm + (T(1) - momentum) * reshape<C>(mu),
                              momentum * mv + (T(1) - momentum) * reshape<C>(var)};
        }
    };

   public:
    using value_type = T;
    using input_shape = In;
    using output_shape = In;
    using input_type = nn::detail::tensor_t<T, In>;
    using output_type = input_type;
    static constexpr const char* kind = "batch_normalization";
    static constexpr std::array<const char*, 2> trainable_names{"gamma", "beta"};
    static constexpr std::array<const char*, 2> state_names{"moving_mean", "moving_variance"};
    tensor<T, C> gamma, beta, moving_mean, moving_variance;
    double momentum = 0.99;

    batch_norm_layer() = default;
    batch_norm_layer(double m, double e) : momentum(m), stage_(train_fn{e}) {}
    double epsilon() const { return stage_.fn().epsilon; }  // fixed when the layer is built
    auto trainable() { return std::tie(gamma, beta); }
    auto trainable() const { return std::tie(gamma, beta); }
    auto state() { return std::tie(moving_mean, moving_variance); }
    auto state() const { return std::tie(moving_mean, moving_variance); }
    void initialize(random::generator&) {
        gamma.fill(T(1));
        beta.fill(T(0));
        moving_mean.fill(T(0));
        moving_variance.fill(T(1));
    }
    template <class X>
    auto operator()(const X& x) const {
        return (x - moving_mean) * rsqrt(moving_variance + T(epsilon())) * gamma + beta;
    }
    const output_type& forward_train(const input_type& x, train_context&) {
        x_ = &x;
        const auto& [m, v] = stats_(moving_mean, moving_variance, x, T(momentum));
        pending_ = {&m, &v};
        return stage_.forward(gamma, beta, x);
    }
    // The moving statistics take this batch's only once its step has succeeded (a step that fails,
    // on a NaN loss say, leaves the layer unchanged).
    void commit() {
        if (std::get<0>(pending_)) {
            moving_mean = *std::get<0>(pending_);
            moving_variance = *std::get<1>(pending_);
            pending_ = {};
        }
    }
    template <bool NeedDx>
    const input_type* backward(const output_type& g) {
        auto r = stage_.template backward<NeedDx>(gamma, beta, *x_, g);
        grads_ = {&std::get<0>(r), &std::get<1>(r)};
        if constexpr (NeedDx)
            return &std::get<2>(r);
        else
            return nullptr;
    }
    auto gradients() const { return std::tie(*std::get<0>(grads_), *std::get<1>(grads_)); }

   private:
    nn::detail::stage<train_fn, 2> stage_{train_fn{1e-3}};
    function<stats_fn> stats_{stats_fn{}};
    const input_type* x_ = nullptr;
    std::tuple<const tensor<T, C>*, const tensor<T, C>*> grads_{}, pending_{};
};
struct batch_norm_spec {
    double momentum = 0.99, epsilon = 1e-3;
    template <class T, class In>
    using built = batch_norm_layer<T, In>;
    template <class T, class In>
    built<T, In> build() const {
        return built<T, In>(momentum, epsilon);
    }
};
constexpr batch_norm_spec batch_norm(double momentum = 0.99, double epsilon = 1e-3) { return {momentum, epsilon}; }

// layer_norm: normalizes each sample over its last axis, then gamma * x + beta (epsilon 1e-3, as Keras).
template <class T, class In>
class layer_norm_layer {
    static constexpr index_t C = In::extents[In::rank - 1];
    using fn = detail_layers::layer_norm_fn;

   public:
    using value_type = T;
    using input_shape = In;
    using output_shape = In;
    using input_type = nn::detail::tensor_t<T, In>;
    using output_type = input_type;
    static constexpr const char* kind = "layer_normalization";
    static constexpr std::array<const char*, 2> trainable_names{"gamma", "beta"};
    static constexpr std::array<const char*, 0> state_names{};
    tensor<T, C> gamma, beta;
    layer_norm_layer() = default;
    explicit layer_norm_layer(double e) : stage_(fn{e}) {}
    double epsilon() const { return stage_.fn().epsilon; }  // fixed when the layer is built
    auto trainable() { return std::tie(gamma, beta); }
    auto trainable() const { return std::tie(gamma, beta); }
    auto state() const { return std::tuple<>(); }
    void initialize(random::generator&) {
        gamma.fill(T(1));
        beta.fill(T(0));
    }
    template <class X>
    auto operator()(const X& x) const {
        return stage_.fn()(gamma, beta, x);
    }
    const output_type& forward_train(const input_type& x, train_context&) {
        x_ = &x;
        return stage_.forward(gamma, beta, x);
    }
    template <bool NeedDx>
    const input_type* backward(const output_type& g) {
        auto r = stage_.template backward<NeedDx>(gamma, beta, *x_, g);
        grads_ = {&std::get<0>(r), &std::get<1>(r)};
        if constexpr (NeedDx)
            return &std::get<2>(r);
        else
            return nullptr;
    }
    auto gradients() const { return std::tie(*std::get<0>(grads_), *std::get<1>(grads_)); }

   private:
    nn::detail::stage<fn, 2> stage_{fn{1e-3}};
    const input_type* x_ = nullptr;
    std::tuple<const tensor<T, C>*, const tensor<T, C>*> grads_{};
};
struct layer_norm_spec {
    double epsilon = 1e-3;
    template <class T, class In>
    using built = layer_norm_layer<T, In>;
    template <class T, class In>
    built<T, In> build() const {
        return built<T, In>(epsilon);
    }
};
constexpr layer_norm_spec layer_norm(double epsilon = 1e-3) { return {epsilon}; }

// ---- embedding: integer ids [?, E...] -> vectors [?, E..., Dim] (a gather of the table's rows);
// ids outside [0, InputDim) are an error. Only as a model's first layer (its input is integer).
template <class I, class In, index_t InputDim, index_t Dim, class T = float>
class embedding_layer {
    struct fn {
        template <class W, class X>
        auto operator()(const W& table, const X& ids) const {
            return gather<0>(table, ids);
        }
    };
    template <class S>
    struct out_shape;
    template <index_t... E>
    struct out_shape<shape<E...>> {
        using type = shape<E..., Dim>;
    };

   public:
    using value_type = T;
    using input_shape = In;
    using output_shape = typename out_shape<In>::type;
    using input_type = nn::detail::tensor_t<I, In>;
    using output_type = nn::detail::tensor_t<T, output_shape>;
    static constexpr const char* kind = "embedding";
    static constexpr std::array<const char*, 1> trainable_names{"embeddings"};
    static constexpr std::array<const char*, 0> state_names{};
    tensor<T, InputDim, Dim> embeddings;

    auto trainable() { return std::tie(embeddings); }
    auto trainable() const { return std::tie(embeddings); }
    auto state() const { return std::tuple<>(); }
    void initialize(random::generator& gen) { initializers::random_uniform{}(embeddings, gen, 0, 0); }
    template <class X>
    auto operator()(const X& ids) const {
        return fn{}(embeddings, ids);
    }
    const output_type& forward_train(const input_type& ids, train_context&) {
        x_ = &ids;
        return stage_.forward(embeddings, ids);
    }
    template <bool NeedDx>
    const input_type* backward(const output_type& g) {
        static_assert(!NeedDx, "tfx: embedding: its input is integer ids and has no gradient; use it as the first layer");
        grad_ = &std::get<0>(stage_.template backward<false>(embeddings, *x_, g));
        return nullptr;
    }
    auto gradients() const { return std::tie(*grad_); }

   private:
    nn::detail::stage<fn, 1> stage_{};
    const input_type* x_ = nullptr;
    const tensor<T, InputDim, Dim>* grad_ = nullptr;
};
template <index_t InputDim, index_t Dim>
struct embedding_spec {
    template <class I, class In>
    static constexpr bool accepts = std::is_integral_v<I>;
    template <class I, class In>
    using built = embedding_layer<I, In, InputDim, Dim>;
    template <class I, class In>
    built<I, In> build() const {
        return {};
    }
};
template <index_t InputDim, index_t Dim>
constexpr embedding_spec<InputDim, Dim> embedding() {
    return {};
}

// ---- a built layer named by its spec and input features, for subclassed models:
//   layers::layer<layers::dense<128>(activations::relu), 64> hidden;
template <auto Spec, index_t... In>
struct layer : decltype(Spec)::template built<float, shape<dyn, In...>> {
    using base = typename decltype(Spec)::template built<float, shape<dyn, In...>>;
    layer() : base(Spec.template build<float, shape<dyn, In...>>()) {}
};

}  // namespace tfx::layers
