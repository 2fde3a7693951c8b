// The DynamicRNN of the TensorFlow 2 guide ("Better performance with tf.function", AutoGraph), in
// tfx, twice: as the guide writes it — a loop over time steps that writes each output into a
// tensor_array, then stacks them — and as one differentiable tfx::scan inside a tfx::function.
// An LSTM cell of 13 units reads random input of shape [batch 10, time 20, features 3]; the two
// forms must agree, and the scan form's gradient is taken with value_and_grad.
#include <cmath>
#include <cstdio>

#include <tfx/nn.hpp>

using namespace tfx;

// tf.keras.layers.LSTMCell(13) on 3 features: Keras's weights and gate order (i, f, c, o).
struct lstm_cell {
    static constexpr index_t units = 13, features = 3;
    tensor<float, features, 4 * units> kernel;
    tensor<float, units, 4 * units> recurrent_kernel;
    tensor<float, 4 * units> bias;

    // (output, (h, c)) for one time step; works on tensors and on symbols alike.
    template <class X, class H, class C, class W, class R, class B>
    static auto step(const X& x, const H& h, const C& c, const W& w, const R& r, const B& b) {
        constexpr index_t U = units;
        auto z = matmul(x, w) + matmul(h, r) + b;
        auto i = sigmoid(slice<1, 0, U>(z));
        auto f = sigmoid(slice<1, U, U>(z));
        auto g = tanh(slice<1, 2 * U, U>(z));
        auto o = sigmoid(slice<1, 3 * U, U>(z));
        auto c2 = f * c + i * g;
        auto h2 = o * tanh(c2);
        return std::tuple{h2, c2};
    }
};

int main() {
    random::generator gen{7};
    lstm_cell cell;
    cell.kernel = random::normal<float, 3, 52>(gen, 0.0, 0.3);
    cell.recurrent_kernel = random::normal<float, 13, 52>(gen, 0.0, 0.3);
    cell.bias = random::normal<float, 52>(gen, 0.0, 0.1);
    tensor<float, dyn, dyn, 3> input = random::normal<float, dyn, dyn, 3>(gen, 0.0, 1.0, 10, 20);

    // ---- as the guide writes it: a loop over time, outputs written into a tensor_array
    tensor<float, dyn, dyn, 3> time_major = permute<1, 0, 2>(input);  // [time, batch, features]
    const std::size_t timesteps = time_major.shape()[0], batch = time_major.shape()[1];
    tensor_array<float, dyn, 3> steps;
    steps.unstack(time_major);
    tensor_array<float, dyn, lstm_cell::units> outputs(timesteps);
    tensor<float, dyn, 13> h = broadcast_to<dyn, 13>(scalar<float>(0), batch), c = h;
    for (std::size_t t = 0; t < timesteps; ++t) {
        auto [h2, c2] = lstm_cell::step(steps.read(t), h, c, cell.kernel, cell.recurrent_kernel, cell.bias);
        tensor<float, dyn, 13> hn = h2, cn = c2;  // evaluated before the state is replaced
        h = std::move(hn);
        c = std::move(cn);
        outputs.write(t, h);
    }
    tensor<float, dyn, dyn, 13> loop_out = permute<1, 0, 2>(outputs.stack());

    // ---- the same with scan, in a tfx::function (differentiable, planned, no allocation after the first call)
    auto rnn = [](auto w, auto r, auto b, auto x) {
        auto xs = permute<1, 0, 2>(x);
        auto zero = broadcast_to_dims<shape<dyn, 13>>(scalar<float>(0), dims_t<2>{x.dims()[0], 13});
        auto [state, ys] = scan(
            [&](const auto& hc, const auto& xt) {
                auto [h2, c2] = lstm_cell::step(xt, std::get<0>(hc), std::get<1>(hc), w, r, b);
                return std::tuple{std::tuple{h2, c2}, h2};
            },
            std::tuple{zero, zero}, xs);
        return std::tuple{permute<1, 0, 2>(ys), std::get<0>(state), std::get<1>(state)};
    };
    auto dynamic_rnn = function(rnn);
    const auto& [scan_out, h_final, c_final] = dynamic_rnn(cell.kernel, cell.recurrent_kernel, cell.bias, input);
    std::printf("outputs: %s, final state h: %s, c: %s\n", shape_string(scan_out.shape()).c_str(),
                shape_string(h_final.shape()).c_str(), shape_string(c_final.shape()).c_str());

    float diff = 0;
    for (std::size_t i = 0; i < scan_out.size(); ++i) diff = std::max(diff, std::abs(scan_out.data()[i] - loop_out.data()[i]));
    std::printf("largest difference between the tensor_array loop and scan: %g\n", diff);

    // Gradients through time: d mean(outputs^2) / d recurrent_kernel.
    auto loss = [&](auto w, auto r, auto b, auto x) { return mean(square(std::get<0>(rnn(w, r, b, x)))); };
    auto [l, dr] = value_and_grad<1>(loss)(cell.kernel, cell.recurrent_kernel, cell.bias, input);
    tensor<float> norm2 = sum(square(dr));
    std::printf("loss %.6f, |d loss / d recurrent_kernel| = %.6f\n", l(), std::sqrt(norm2()));
    return diff < 1e-5f ? 0 : 1;
}
