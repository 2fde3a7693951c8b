// The LSTM's gradients in double precision: backpropagation through time for rnn::lstm, value_and_grad
// of a scalar built on its three outputs with respect to x, kernel, recurrent_kernel, bias, h0 and c0
// against central differences. The layer's gradients are in test_layers_recurrent_lstm_layer_grad.cpp
// (split for the compiler).
#include <tfx/nn.hpp>

#include "layers_check.hpp"
#include "recurrent_check.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using namespace rnntest;

}  // namespace

TEST_CASE("value_and_grad through rnn::lstm matches finite differences (BPTT)", "[rnn][lstm][gradients]") {
    const lstm_weights p(1101);
    const x_t x = random_x(1102);
    rng r(1103);
    seq_t gs(NB, NT);
    state_t gh(NB), gc(NB);
    fill_uniform(gs, r, -1, 1);
    fill_uniform(gh, r, -1, 1);
    fill_uniform(gc, r, -1, 1);
    auto loss = [](auto x, auto w, auto rk, auto b, auto h0, auto c0, auto gs, auto gh, auto gc) {
        auto [seq, h, c] = rnn::lstm(x, w, rk, b, h0, c0);
        return sum(seq * gs) + sum(h * gh) + sum(c * gc);
    };
    const std::string m = check_grad_wrt<0, 1, 2, 3, 4, 5>(loss, std::tuple{x, p.w, p.r, p.b, p.h0, p.c0, gs, gh, gc},
                                                           {"x", "kernel", "recurrent_kernel", "bias", "h0", "c0"});
    INFO(m);
    CHECK(m.empty());
}
