// Gradients of recurrent networks (include/tfx/nn/recurrent.hpp) in double precision: backpropagation
// through time for rnn::gru, value_and_grad of a scalar built on its sequence and final state with
// respect to x, kernel, recurrent_kernel, bias [2, 3U] and h0, against central differences. The
// layers' gradients are in test_layers_recurrent_layers_grad.cpp, the LSTM's in
// test_layers_recurrent_lstm_grad.cpp and test_layers_recurrent_lstm_layer_grad.cpp (split for the
// compiler: each takes tens of seconds).
#include <tfx/nn.hpp>

#include "layers_check.hpp"
#include "recurrent_check.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace {

using namespace rnntest;

}  // namespace

TEST_CASE("value_and_grad through rnn::gru matches finite differences (BPTT)", "[rnn][gru][gradients]") {
    const gru_weights p(1111);
    const x_t x = random_x(1112);
    rng r(1113);
    seq_t gs(NB, NT);
    state_t gh(NB);
    fill_uniform(gs, r, -1, 1);
    fill_uniform(gh, r, -1, 1);
    auto loss = [](auto x, auto w, auto rk, auto b, auto h0, auto gs, auto gh) {
        auto [seq, h] = rnn::gru(x, w, rk, b, h0);
        return sum(seq * gs) + sum(h * gh);
    };
    const std::string m = check_grad_wrt<0, 1, 2, 3, 4>(loss, std::tuple{x, p.w, p.r, p.b, p.h0, gs, gh},
                                                        {"x", "kernel", "recurrent_kernel", "bias", "h0"});
    INFO(m);
    CHECK(m.empty());
}
