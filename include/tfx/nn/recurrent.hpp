#pragma once
// Recurrent networks on tfx::scan (DESIGN.md §5): the functional forms rnn::simple_rnn, rnn::lstm
// and rnn::gru (any initial state, every output: the sequence and the final states), and the layers
// layers::simple_rnn<units>, layers::lstm<units> and layers::gru<units> built on them.
//
// Input is batch-major, [batch, time, features], as in Keras. The input projection of all time
// steps, x · kernel + bias, is one GEMM over [time · batch, features] before the loop; each step
// then adds h · recurrent_kernel (one GEMM for all gates) and applies the gates. Weights and gate
// order are Keras's, so weights can be moved between the two:
// - simple_rnn: h' = tanh(x W + h U + b).
// - lstm: kernel [F, 4U], recurrent_kernel [U, 4U], bias [4U], gates in the order i, f, c, o:
//   z = x W + h U + b; i = σ(z_i), f = σ(z_f), g = tanh(z_c), o = σ(z_o);
//   c' = f c + i g; h' = o tanh(c').
// - gru (Keras's default reset_after = true): kernel [F, 3U], recurrent_kernel [U, 3U], bias [2, 3U]
//   (input bias, recurrent bias), gates in the order z, r, h:
//   x_* = x W + b_in, r_* = h U + b_rec; z = σ(x_z + r_z), r = σ(x_r + r_r),
//   hh = tanh(x_h + r r_h); h' = z h + (1 - z) hh.
#include "layers.hpp"

namespace tfx::rnn {

namespace detail {

template <class X>
void check_sequence(const char* op, const X& x) {
    const auto d = as_node(x).dims();
    if (d[1] == 0)
        throw value_error(std::string("tfx: ") + op + ": the input " + shape_string(d) +
                          " has no time steps; a recurrent layer needs at least one");
}

// x [B, T, F] -> x W + b laid out time-major, [T, B, K]: one GEMM for all the steps.
template <class X, class W, class B>
auto project(const X& x, const W& w, const B& b) {
    constexpr index_t F = X::shape_type::extents[2];
    constexpr index_t K = W::shape_type::extents[1];
    const auto d = x.dims();
    auto flat = reshape_to<dyn, F>(permute<1, 0, 2>(x), {d[0] * d[1], std::size_t(F)});
    return reshape_to<dyn, dyn, K>(matmul(flat, w) + b, {d[1], d[0], std::size_t(K)});
}

// [T, B, U] -> [B, T, U]
template <class Y>
auto batch_major(const Y& y) {
    return permute<1, 0, 2>(y);
}

template <index_t U, class X>
auto zero_state(const X& x) {
    using T = typename X::value_type;
    return broadcast_to_dims<shape<dyn, U>>(scalar<T>(T(0)), dims_t<2>{x.dims()[0], std::size_t(U)});
}

template <class W, class X>
inline constexpr bool fits = X::rank == 3 && W::rank == 2 && X::shape_type::extents[2] == W::shape_type::extents[0];

}  // namespace detail

// The last argument, saved, is for layers: the scan's pack from the forward pass, which the
// backward pass then reads instead of running the forward loop again (see scan_node::saved).
// Each takes Backward = true to run from the last time step to the first (the backward half of a
// bidirectional layer); the sequence stays aligned with the input (output t is the state after
// reading x_t), and the final state is the one after reading x_0.

// (sequence [B, T, U], h_T) for x [B, T, F], kernel [F, U], recurrent_kernel [U, U], bias [U], h0 [B, U].
template <bool Backward = false, class X, class W, class R, class B, class H>
auto simple_rnn(const X& x, const W& kernel, const R& recurrent, const B& bias, const H& h0, const void* saved = nullptr) {
    using XN = node_t<const X&>;
    static_assert(detail::fits<node_t<const W&>, XN>,
                  "tfx: simple_rnn: expects x [batch, time, features] and a kernel [features, units] (shapes below)");
    if constexpr (!detail::fits<node_t<const W&>, XN>) {
        return std::tuple<>{};  // only the static_assert above is reported
    } else {
        detail::check_sequence("simple_rnn", x);
        auto rk = as_node(recurrent);
        auto [h, ys] = tfx::detail::scan_with<Backward>(
            [&](const auto& hp, const auto& xt) {
                auto hn = keep(tanh(xt + matmul(hp, rk)));
                return std::tuple{hn, hn};
            },
            h0, detail::project(as_node(x), as_node(kernel), as_node(bias)), saved);
        return std::tuple{detail::batch_major(ys), h};
    }
}

// (sequence [B, T, U], h_T, c_T) for x [B, T, F], kernel [F, 4U], recurrent_kernel [U, 4U], bias [4U],
// h0 and c0 [B, U].
template <bool Backward = false, class X, class W, class R, class B, class H, class C>
auto lstm(const X& x, const W& kernel, const R& recurrent, const B& bias, const H& h0, const C& c0,
          const void* saved = nullptr) {
    using XN = node_t<const X&>;
    using RN = node_t<const R&>;
    static_assert(detail::fits<node_t<const W&>, XN>,
                  "tfx: lstm: expects x [batch, time, features] and a kernel [features, 4 units] (shapes below)");
    constexpr index_t U = RN::shape_type::extents[0];
    static_assert(RN::rank == 2 && RN::shape_type::extents[1] == 4 * U,
                  "tfx: lstm: the recurrent kernel must be [units, 4 units] (shape below)");
    if constexpr (!detail::fits<node_t<const W&>, XN> || !(RN::rank == 2 && RN::shape_type::extents[1] == 4 * U)) {
        return std::tuple<>{};  // only the static_asserts above are reported
    } else {
        detail::check_sequence("lstm", x);
        auto rk = as_node(recurrent);
        auto [state, ys] = tfx::detail::scan_with<Backward>(
            [&](const auto& hc, const auto& xt) {
                const auto& [h, c] = hc;
                // Gates and the cell are kept (computed once per step): the backward step reads
                // them instead of recomputing every activation in every adjoint.
                auto z = keep(xt + matmul(h, rk));
                auto i = keep(sigmoid(slice<1, 0, U>(z)));
                auto f = keep(sigmoid(slice<1, U, U>(z)));
                auto g = keep(tanh(slice<1, 2 * U, U>(z)));
                auto o = keep(sigmoid(slice<1, 3 * U, U>(z)));
                auto c2 = keep(f * c + i * g);
                auto h2 = o * keep(tanh(c2));
                return std::tuple{std::tuple{h2, c2}, h2};
            },
            std::tuple{as_node(h0), as_node(c0)}, detail::project(as_node(x), as_node(kernel), as_node(bias)), saved);
        return std::tuple{detail::batch_major(ys), std::get<0>(state), std::get<1>(state)};
    }
}

// (sequence [B, T, U], h_T) for x [B, T, F], kernel [F, 3U], recurrent_kernel [U, 3U],
// bias [2, 3U] (input bias, recurrent bias), h0 [B, U].
template <bool Backward = false, class X, class W, class R, class B, class H>
auto gru(const X& x, const W& kernel, const R& recurrent, const B& bias, const H& h0, const void* saved = nullptr) {
    using XN = node_t<const X&>;
    using RN = node_t<const R&>;
    static_assert(detail::fits<node_t<const W&>, XN>,
                  "tfx: gru: expects x [batch, time, features] and a kernel [features, 3 units] (shapes below)");
    constexpr index_t U = RN::shape_type::extents[0];
    static_assert(RN::rank == 2 && RN::shape_type::extents[1] == 3 * U,
                  "tfx: gru: the recurrent kernel must be [units, 3 units] (shape below)");
    if constexpr (!detail::fits<node_t<const W&>, XN> || !(RN::rank == 2 && RN::shape_type::extents[1] == 3 * U)) {
        return std::tuple<>{};  // only the static_asserts above are reported
    } else {
        detail::check_sequence("gru", x);
        using T = typename XN::value_type;
        auto rk = as_node(recurrent);
        auto b_in = reshape<3 * U>(slice<0, 0, 1>(as_node(bias)));
        auto b_rec = reshape<3 * U>(slice<0, 1, 1>(as_node(bias)));
        auto [h, ys] = tfx::detail::scan_with<Backward>(
            [&](const auto& hp, const auto& xt) {
                auto r_all = keep(matmul(hp, rk) + b_rec);
                auto z = keep(sigmoid(slice<1, 0, U>(xt) + slice<1, 0, U>(r_all)));
                auto r = keep(sigmoid(slice<1, U, U>(xt) + slice<1, U, U>(r_all)));
                auto hh = keep(tanh(slice<1, 2 * U, U>(xt) + r * slice<1, 2 * U, U>(r_all)));
                auto hn = z * hp + (T(1) - z) * hh;
                return std::tuple{hn, hn};
            },
            h0, detail::project(as_node(x), as_node(kernel), b_in), saved);
        return std::tuple{detail::batch_major(ys), h};
    }
}

}  // namespace tfx::rnn

namespace tfx::nn::detail {

enum class cell_kind { simple, lstm, gru };

template <cell_kind K>
inline constexpr index_t gates = K == cell_kind::lstm ? 4 : K == cell_kind::gru ? 3 : 1;
template <cell_kind K>
inline constexpr const char* cell_name = K == cell_kind::lstm ? "lstm" : K == cell_kind::gru ? "gru" : "simple_rnn";

// The layer's stage: (kernel, recurrent_kernel, bias, x) -> the sequence or the last output.
template <cell_kind K, index_t U, bool Sequences, bool Backward = false>
struct recurrent_fn {
    // All the outputs of the cell over x from zero state, reading the forward pack from saved if set.
    template <class W, class R, class B, class X>
    static auto run(const W& w, const R& r, const B& b, const X& x, const void* saved) {
        auto h0 = rnn::detail::zero_state<U>(as_node(x));
        if constexpr (K == cell_kind::simple)
            return rnn::simple_rnn<Backward>(x, w, r, b, h0, saved);
        else if constexpr (K == cell_kind::lstm)
            return rnn::lstm<Backward>(x, w, r, b, h0, h0, saved);
        else
            return rnn::gru<Backward>(x, w, r, b, h0, saved);
    }
    // The layer's output: the sequence (with the input's static time extent, as the layer's output
    // type says) or the last output.
    template <class X, class Out>
    static auto pick(Out&& out) {
        if constexpr (Sequences) {
            using S = shape<dyn, node_t<const X&>::shape_type::extents[1], U>;
            auto seq = std::get<0>(std::forward<Out>(out));
            const auto d = seq.dims();
            return reshape_to_shape<S>(std::move(seq), d);
        } else {
            return std::get<1>(std::forward<Out>(out));
        }
    }
    // The scan's pack (every carry, output and kept gate of the forward pass), as an expression.
    template <class Out>
    static auto pack(const Out& out) {
        const auto& node = std::get<1>(out).src;
        return pack_slice<shape<dyn>, std::remove_cvref_t<decltype(node)>>(node, 0, node.dims());
    }

    template <class W, class R, class B, class X>
    auto operator()(const W& w, const R& r, const B& b, const X& x) const {
        return pick<X>(run(w, r, b, x, nullptr));
    }
    // (pack, output): the training forward pass. The pack comes first so that the scan is computed
    // straight into the pack's output tensor (pack_slice), and the output is read from there.
    template <class W, class R, class B, class X>
    auto with_pack(const W& w, const R& r, const B& b, const X& x) const {
        auto out = run(w, r, b, x, nullptr);
        return std::tuple{pack(out), pick<X>(out)};
    }
    // The output again, its backward pass reading pack (a tensor of with_pack's).
    template <class W, class R, class B, class X, class P>
    auto from_pack(const W& w, const R& r, const B& b, const X& x, const P& pack) const {
        return pick<X>(run(w, r, b, x, static_cast<const void*>(pack.data())));
    }
};

// Both directions, outputs concatenated on the last axis (Keras's merge_mode "concat").
template <cell_kind K, index_t U, bool Sequences>
struct bidirectional_fn {
    using fwd = recurrent_fn<K, U, Sequences, false>;
    using bwd = recurrent_fn<K, U, Sequences, true>;
    template <class W, class R, class B, class W2, class R2, class B2, class X>
    auto operator()(const W& w, const R& r, const B& b, const W2& w2, const R2& r2, const B2& b2, const X& x) const {
        return concat<-1>(fwd{}(w, r, b, x), bwd{}(w2, r2, b2, x));
    }
    template <class W, class R, class B, class W2, class R2, class B2, class X>
    auto with_pack(const W& w, const R& r, const B& b, const W2& w2, const R2& r2, const B2& b2, const X& x) const {
        auto a = fwd::run(w, r, b, x, nullptr);
        auto c = bwd::run(w2, r2, b2, x, nullptr);
        return std::tuple{fwd::pack(a), bwd::pack(c), concat<-1>(fwd::template pick<X>(a), bwd::template pick<X>(c))};
    }
    template <class W, class R, class B, class W2, class R2, class B2, class X, class P, class P2>
    auto from_pack(const W& w, const R& r, const B& b, const W2& w2, const R2& r2, const B2& b2, const X& x, const P& p,
                   const P2& p2) const {
        return concat<-1>(fwd{}.from_pack(w, r, b, x, p), bwd{}.from_pack(w2, r2, b2, x, p2));
    }
};

// The training passes of a recurrent layer (as stage.hpp's, with a difference): the forward
// function also returns each scan's pack, and the backward function (tfx's reverse mode of the
// layer's rule) reads it, so the backward pass does not run the forward loop again.
template <class T, class In, class Out, class F, std::size_t NP, std::size_t NPacks>
class recurrent_stage {
   public:
    using input_type = nn::detail::tensor_t<T, In>;
    using output_type = nn::detail::tensor_t<T, Out>;

    template <class... P>
    const output_type& forward(const input_type& x, const P&... params) {
        x_ = &x;
        const auto& r = fwd_(params..., x);
        [&]<std::size_t... I>(std::index_sequence<I...>) { ((packs_[I] = &std::get<I>(r)), ...); }(std::make_index_sequence<NPacks>{});
        return std::get<NPacks>(r);
    }
    // (d params..., d x) when NeedDx, else (d params...): references into the stage's functions.
    template <bool NeedDx, class... P>
    decltype(auto) backward(const output_type& g, const P&... params) {
        return [&]<std::size_t... I>(std::index_sequence<I...>) -> decltype(auto) {
            if constexpr (NeedDx)
                return bwd_dx_(params..., *x_, *packs_[I]..., g);
            else
                return bwd_(params..., *x_, *packs_[I]..., g);
        }(std::make_index_sequence<NPacks>{});
    }

   private:
    struct forward_fn {
        template <bool Nested, class... S>
        auto operator()(traced_tag<Nested>, tfx::detail::eval_ctx&, const S&... s) const {
            return F{}.with_pack(s...);
        }
    };
    // (params..., x, packs..., g) -> cotangents of (params..., x) or of params only.
    template <bool NeedDx>
    struct backward_fn {
        template <bool Nested, class... S>
        auto operator()(traced_tag<Nested>, tfx::detail::eval_ctx& ctx, const S&... s) const {
            auto all = std::tie(s...);
            return [&]<std::size_t... I, std::size_t... K>(std::index_sequence<I...>, std::index_sequence<K...>) {
                auto y = F{}.from_pack(std::get<I>(all)..., std::get<NP + 1 + K>(all)...);
                const auto& g = std::get<NP + 1 + NPacks>(all);
                if constexpr (NeedDx)
                    return tfx::detail::cotangents_for(ctx, y, g, std::get<I>(all)...);
                else
                    return [&]<std::size_t... J>(std::index_sequence<J...>) {
                        return tfx::detail::cotangents_for(ctx, y, g, std::get<J>(all)...);
                    }(std::make_index_sequence<NP>{});
            }(std::make_index_sequence<NP + 1>{}, std::make_index_sequence<NPacks>{});
        }
    };
    function<forward_fn> fwd_{forward_fn{}};
    function<backward_fn<true>> bwd_dx_{backward_fn<true>{}};
    function<backward_fn<false>> bwd_{backward_fn<false>{}};
    const input_type* x_ = nullptr;
    std::array<const tensor<T, dyn>*, NPacks> packs_{};
};

template <class T, cell_kind K, index_t U>
using bias_tensor = std::conditional_t<K == cell_kind::gru, tensor<T, 2, 3 * U>, tensor<T, gates<K> * U>>;

template <class In, index_t U, bool Sequences>
using recurrent_out = std::conditional_t<Sequences, shape<dyn, In::extents[1], U>, shape<dyn, U>>;

// Keras's initial weights for one direction: glorot_uniform kernel, orthogonal recurrent kernel
// (one per gate), zero bias with the LSTM's forget gate bias at 1 (unit_forget_bias).
template <cell_kind K, index_t U, class T, index_t F, index_t GU, class Bias>
void initialize_cell(tensor<T, F, GU>& kernel, tensor<T, U, GU>& recurrent_kernel, Bias& bias, random::generator& gen) {
    constexpr index_t G = gates<K>;
    initializers::glorot_uniform{}(kernel, gen, double(F), double(G * U));
    tensor<T, U, U> q;
    for (index_t g = 0; g < G; ++g) {
        initializers::orthogonal{}(q, gen, 0, 0);
        for (index_t r = 0; r < U; ++r)
            for (index_t c = 0; c < U; ++c) recurrent_kernel(r, g * U + c) = q(r, c);
    }
    bias.fill(T(0));
    if constexpr (K == cell_kind::lstm)
        for (index_t c = 0; c < U; ++c) bias(U + c) = T(1);
}

// What a recurrent layer class shares: the inference expression, and the training passes through a
// recurrent_stage. Derived provides params() (a std::tie of its trainable tensors).
template <class Derived, class T, class In, class Out, class F, std::size_t NPacks, class... Params>
class recurrent_base {
   public:
    using value_type = T;
    using input_shape = In;
    using output_shape = Out;
    using input_type = tensor_t<T, In>;
    using output_type = tensor_t<T, Out>;

    const activations::linear_t& activation() const { return act_; }
    template <class X>
    auto operator()(const X& x) const {
        return std::apply([&](const auto&... p) { return F{}(p..., x); }, self().params());
    }
    const output_type& forward_train(const input_type& x, train_context&) {
        return std::apply([&](const auto&... p) -> decltype(auto) { return stage_.forward(x, p...); }, self().params());
    }
    template <bool NeedDx>
    const input_type* backward(const output_type& g) {
        auto r = std::apply([&](const auto&... p) { return stage_.template backward<NeedDx>(g, p...); }, self().params());
        grads_ = [&]<std::size_t... I>(std::index_sequence<I...>) { return param_ptrs{&std::get<I>(r)...}; }(
            std::index_sequence_for<Params...>{});
        if constexpr (NeedDx)
            return &std::get<sizeof...(Params)>(r);
        else
            return nullptr;
    }
    // d loss / d params (after backward): references to tensors owned by the layer's stage.
    auto gradients() const {
        return std::apply([](auto*... d) { return std::tie(*d...); }, grads_);
    }

   private:
    const Derived& self() const { return static_cast<const Derived&>(*this); }
    using param_ptrs = std::tuple<const Params*...>;
    recurrent_stage<T, In, Out, F, sizeof...(Params), NPacks> stage_;
    param_ptrs grads_{};
    activations::linear_t act_{};
};

}  // namespace tfx::nn::detail

namespace tfx::layers {

// A recurrent layer over x [?, time, features]: [?, units], or [?, time, units] with return_sequences.
template <class T, class In, nn::detail::cell_kind K, index_t U, bool Sequences>
class recurrent_layer
    : public nn::detail::recurrent_base<recurrent_layer<T, In, K, U, Sequences>, T, In, nn::detail::recurrent_out<In, U, Sequences>,
                                     nn::detail::recurrent_fn<K, U, Sequences>, 1,
                                     tensor<T, In::extents[2], nn::detail::gates<K> * U>,
                                     tensor<T, U, nn::detail::gates<K> * U>, nn::detail::bias_tensor<T, K, U>> {
    static_assert(In::rank == 3, "tfx: recurrent layer: expects an input [?, time, features]; the input shape is below");
    static constexpr index_t F = In::extents[2], G = nn::detail::gates<K>;

   public:
    static constexpr const char* kind = nn::detail::cell_name<K>;
    static constexpr std::array<const char*, 3> trainable_names{"kernel", "recurrent_kernel", "bias"};
    static constexpr std::array<const char*, 0> state_names{};
    tensor<T, F, G * U> kernel;
    tensor<T, U, G * U> recurrent_kernel;
    nn::detail::bias_tensor<T, K, U> bias;

    auto params() { return std::tie(kernel, recurrent_kernel, bias); }
    auto params() const { return std::tie(kernel, recurrent_kernel, bias); }
    auto trainable() { return params(); }
    auto trainable() const { return params(); }
    auto state() { return std::tuple<>(); }
    auto state() const { return std::tuple<>(); }
    void initialize(random::generator& gen) { nn::detail::initialize_cell<K, U>(kernel, recurrent_kernel, bias, gen); }
};

// bidirectional(lstm<U>()) and the others: the layer run forwards and backwards over time, the two
// outputs concatenated: [?, 2 units], or [?, time, 2 units] with return_sequences.
template <class T, class In, nn::detail::cell_kind K, index_t U, bool Sequences>
class bidirectional_layer
    : public nn::detail::recurrent_base<
          bidirectional_layer<T, In, K, U, Sequences>, T, In, nn::detail::recurrent_out<In, 2 * U, Sequences>,
          nn::detail::bidirectional_fn<K, U, Sequences>, 2, tensor<T, In::extents[2], nn::detail::gates<K> * U>,
          tensor<T, U, nn::detail::gates<K> * U>, nn::detail::bias_tensor<T, K, U>, tensor<T, In::extents[2], nn::detail::gates<K> * U>,
          tensor<T, U, nn::detail::gates<K> * U>, nn::detail::bias_tensor<T, K, U>> {
    static_assert(In::rank == 3, "tfx: bidirectional: expects an input [?, time, features]; the input shape is below");
    static constexpr index_t F = In::extents[2], G = nn::detail::gates<K>;

   public:
    static constexpr const char* kind = "bidirectional";
    static constexpr std::array<const char*, 6> trainable_names{"forward_kernel",  "forward_recurrent_kernel",  "forward_bias",
                                                                "backward_kernel", "backward_recurrent_kernel", "backward_bias"};
    static constexpr std::array<const char*, 0> state_names{};
    tensor<T, F, G * U> forward_kernel, backward_kernel;
    tensor<T, U, G * U> forward_recurrent_kernel, backward_recurrent_kernel;
    nn::detail::bias_tensor<T, K, U> forward_bias, backward_bias;

    auto params() {
        return std::tie(forward_kernel, forward_recurrent_kernel, forward_bias, backward_kernel, backward_recurrent_kernel, backward_bias);
    }
    auto params() const {
        return std::tie(forward_kernel, forward_recurrent_kernel, forward_bias, backward_kernel, backward_recurrent_kernel, backward_bias);
    }
    auto trainable() { return params(); }
    auto trainable() const { return params(); }
    auto state() { return std::tuple<>(); }
    auto state() const { return std::tuple<>(); }
    void initialize(random::generator& gen) {
        nn::detail::initialize_cell<K, U>(forward_kernel, forward_recurrent_kernel, forward_bias, gen);
        nn::detail::initialize_cell<K, U>(backward_kernel, backward_recurrent_kernel, backward_bias, gen);
    }
};

struct return_sequences_t {};
// layers::lstm<64>(layers::return_sequences): every step's output, [?, time, units].
inline constexpr return_sequences_t return_sequences{};

template <nn::detail::cell_kind K, index_t U, bool Sequences>
struct recurrent_spec {
    static_assert(U > 0, "tfx: recurrent layer: the number of units must be positive");
    template <class T, class In>
    static constexpr bool accepts = In::rank == 3 && std::is_floating_point_v<T>;
    template <class T, class In>
    using built = recurrent_layer<T, In, K, U, Sequences>;
    template <class T, class In>
    built<T, In> build() const {
        return built<T, In>();
    }
};

template <nn::detail::cell_kind K, index_t U, bool Sequences>
struct bidirectional_spec {
    template <class T, class In>
    static constexpr bool accepts = In::rank == 3 && std::is_floating_point_v<T>;
    template <class T, class In>
    using built = bidirectional_layer<T, In, K, U, Sequences>;
    template <class T, class In>
    built<T, In> build() const {
        return built<T, In>();
    }
};
// bidirectional(layers::lstm<32>()), bidirectional(layers::gru<32>(layers::return_sequences)), ...
template <nn::detail::cell_kind K, index_t U, bool Sequences>
constexpr bidirectional_spec<K, U, Sequences> bidirectional(recurrent_spec<K, U, Sequences>) {
    return {};
}

template <index_t Units>
constexpr recurrent_spec<nn::detail::cell_kind::simple, Units, false> simple_rnn() {
    return {};
}
template <index_t Units>
constexpr recurrent_spec<nn::detail::cell_kind::simple, Units, true> simple_rnn(return_sequences_t) {
    return {};
}
template <index_t Units>
constexpr recurrent_spec<nn::detail::cell_kind::lstm, Units, false> lstm() {
    return {};
}
template <index_t Units>
constexpr recurrent_spec<nn::detail::cell_kind::lstm, Units, true> lstm(return_sequences_t) {
    return {};
}
template <index_t Units>
constexpr recurrent_spec<nn::detail::cell_kind::gru, Units, false> gru() {
    return {};
}
template <index_t Units>
constexpr recurrent_spec<nn::detail::cell_kind::gru, Units, true> gru(return_sequences_t) {
    return {};
}

}  // namespace tfx::layers
