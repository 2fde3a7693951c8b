// Recurrent networks (include/tfx/nn/recurrent.hpp) in double precision:
// - the functional forms rnn::lstm, rnn::gru and rnn::simple_rnn against plain loops of the
//   equations (recurrent_refs.hpp: Keras gate order, LSTM i, f, c, o; GRU z, r, h with reset_after and
//   a [2, 3U] bias), sequence and final states, from random nonzero initial states, eagerly and in
//   tfx::function;
// - a layer with a run-time time axis gives the static layer's output;
// - a sequence without time steps throws tfx::value_error ("tfx: lstm: ...").
// The rest is split over files for the compiler (each part takes tens of seconds and GBs):
// test_layers_recurrent_layers.cpp (the layers' inference and initialize),
// test_layers_recurrent_lstm_grad.cpp and test_layers_recurrent_grad.cpp (BPTT through the LSTM and
// the GRU), test_layers_recurrent_lstm_layer_grad.cpp and test_layers_recurrent_layers_grad.cpp (the
// layers' gradients) and test_layers_recurrent_model.cpp (a sequential model with an LSTM trains).
#include <tfx/nn.hpp>

#include "layers_check.hpp"
#include "recurrent_check.hpp"
#include "recurrent_refs.hpp"

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

template <class Fn>
std::string value_error_message(Fn f) {
    try {
        f();
    } catch (const tfx::value_error& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("(not a value_error) ") + e.what();
    }
    return "(no exception)";
}


}  // namespace

// ================================================================================================
// Forward passes of the functional forms
// ================================================================================================

TEST_CASE("rnn::lstm's forward pass matches a plain-loop LSTM (gates i, f, c, o)", "[rnn][lstm]") {
    const lstm_weights p(1001);
    const x_t x = random_x(1002);
    const ref_result want = ref_lstm(x, p.w, p.r, p.b, p.h0, p.c0);
    const auto out = rnn::lstm(x, p.w, p.r, p.b, p.h0, p.c0);
    const seq_t seq = std::get<0>(out);
    const state_t h = std::get<1>(out);
    const state_t c = std::get<2>(out);
    CHECK(seq.shape() == tfx::dims_t<3>{NB, NT, NU});
    CHECK(h.shape() == tfx::dims_t<2>{NB, NU});
    CHECK(c.shape() == tfx::dims_t<2>{NB, NU});
    mismatch_log log;
    compare(log, "sequence", seq, want.seq);
    compare(log, "h_T", h, want.h);
    compare(log, "c_T", c, want.c);
    INFO(log.str());
    CHECK(log.count == 0);

    SECTION("the same inside tfx::function") {
        tfx::function f([](auto x, auto w, auto r, auto b, auto h0, auto c0) { return rnn::lstm(x, w, r, b, h0, c0); });
        const auto [fs, fh, fc] = f(x, p.w, p.r, p.b, p.h0, p.c0);
        mismatch_log tl;
        compare(tl, "traced sequence", fs, want.seq);
        compare(tl, "traced h_T", fh, want.h);
        compare(tl, "traced c_T", fc, want.c);
        INFO(tl.str());
        CHECK(tl.count == 0);
    }
}

TEST_CASE("rnn::gru's forward pass matches a plain-loop GRU (gates z, r, h, reset_after, a [2, 3U] bias)", "[rnn][gru]") {
    const gru_weights p(1011);
    const x_t x = random_x(1012);
    const ref_result want = ref_gru(x, p.w, p.r, p.b, p.h0);
    const auto out = rnn::gru(x, p.w, p.r, p.b, p.h0);
    const seq_t seq = std::get<0>(out);
    const state_t h = std::get<1>(out);
    CHECK(seq.shape() == tfx::dims_t<3>{NB, NT, NU});
    CHECK(h.shape() == tfx::dims_t<2>{NB, NU});
    mismatch_log log;
    compare(log, "sequence", seq, want.seq);
    compare(log, "h_T", h, want.h);
    INFO(log.str());
    CHECK(log.count == 0);
}

TEST_CASE("rnn::simple_rnn's forward pass matches a plain loop of h' = tanh(x W + h U + b)", "[rnn][simple_rnn]") {
    const simple_weights p(1021);
    const x_t x = random_x(1022);
    const ref_result want = ref_simple(x, p.w, p.r, p.b, p.h0);
    const auto out = rnn::simple_rnn(x, p.w, p.r, p.b, p.h0);
    const seq_t seq = std::get<0>(out);
    const state_t h = std::get<1>(out);
    CHECK(seq.shape() == tfx::dims_t<3>{NB, NT, NU});
    CHECK(h.shape() == tfx::dims_t<2>{NB, NU});
    mismatch_log log;
    compare(log, "sequence", seq, want.seq);
    compare(log, "h_T", h, want.h);
    INFO(log.str());
    CHECK(log.count == 0);
}

TEST_CASE("rnn::lstm over one time step and over a longer sequence", "[rnn][lstm]") {
    const lstm_weights p(1031);
    for (std::size_t nt : {std::size_t(1), std::size_t(7)}) {
        INFO(nt << " time steps");
        const x_t x = random_x(1032 + nt, nt);
        const ref_result want = ref_lstm(x, p.w, p.r, p.b, p.h0, p.c0);
        const auto out = rnn::lstm(x, p.w, p.r, p.b, p.h0, p.c0);
        const seq_t seq = std::get<0>(out);
        const state_t h = std::get<1>(out), c = std::get<2>(out);
        CHECK(seq.shape() == tfx::dims_t<3>{NB, nt, NU});
        mismatch_log log;
        compare(log, "sequence", seq, want.seq);
        compare(log, "h_T", h, want.h);
        compare(log, "c_T", c, want.c);
        INFO(log.str());
        CHECK(log.count == 0);
    }
}

TEST_CASE("a recurrent layer with a run-time time axis gives the static layer's output", "[layers][rnn][lstm]") {
    auto ls = layers::lstm<U>().build<double, shape<dyn, 3, 4>>();
    auto ld = layers::lstm<U>().build<double, shape<dyn, dyn, 4>>();
    tfx::random::generator gen(1401);
    ls.initialize(gen);
    rng r(1402);
    std::apply([&](auto&... v) { (fill_uniform(v, r, -0.8, 0.8), ...); }, ls.trainable());
    ld.kernel = ls.kernel;
    ld.recurrent_kernel = ls.recurrent_kernel;
    ld.bias = ls.bias;
    tensor<double, dyn, 3, 4> xs(NB);
    fill_uniform(xs, r, -1, 1);
    const x_t xd = xs;
    const tensor<double, dyn, U> ys = ls(xs);
    const tensor<double, dyn, U> yd = ld(xd);
    mismatch_log log;
    compare(log, "dynamic-time lstm", yd, ys, 1e-12);
    INFO(log.str());
    CHECK(log.count == 0);
}

// ================================================================================================
// Errors
// ================================================================================================

TEST_CASE("a sequence without time steps throws tfx::value_error", "[rnn][errors]") {
    const x_t x(NB, 0);
    {
        const lstm_weights p(1501);
        const std::string m = value_error_message([&] { (void)rnn::lstm(x, p.w, p.r, p.b, p.h0, p.c0); });
        CHECK_THAT(m, Catch::StartsWith("tfx: lstm:"));
        CHECK_THAT(m, Catch::Contains("[2, 0, 4]"));
    }
    {
        const gru_weights p(1502);
        const std::string m = value_error_message([&] { (void)rnn::gru(x, p.w, p.r, p.b, p.h0); });
        CHECK_THAT(m, Catch::StartsWith("tfx: gru:"));
    }
    {
        const simple_weights p(1503);
        const std::string m = value_error_message([&] { (void)rnn::simple_rnn(x, p.w, p.r, p.b, p.h0); });
        CHECK_THAT(m, Catch::StartsWith("tfx: simple_rnn:"));
    }
    {
        auto l = layers::lstm<U>().build<double, shape<dyn, dyn, 4>>();
        const std::string m = value_error_message([&] { (void)l(x); });
        CHECK_THAT(m, Catch::StartsWith("tfx: lstm:"));
    }
}
