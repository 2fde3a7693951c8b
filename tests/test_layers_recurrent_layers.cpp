// Recurrent layers (include/tfx/nn/recurrent.hpp) in double precision: layers::lstm / gru / simple_rnn
// with and without return_sequences, l(x) equals the plain loop (recurrent_refs.hpp) and the
// functional form from zero states, and forward_train; initialize() gives a unit forget bias, zeros
// elsewhere, a glorot kernel and an orthogonal recurrent block per gate. Split from
// test_layers_recurrent.cpp for the compiler.
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


enum class cell { simple, lstm, gru };

// l(x) for x [2, 3, 4] against the reference and the functional form, both from zero states.
template <cell K, bool Sequences, class L>
void check_layer_forward(L& l, std::uint64_t seed) {
    rng r(seed);
    typename L::input_type x(NB);
    fill_uniform(x, r, -1.5, 1.5);
    const typename L::output_type y = l(x);
    const state_t zero(NB);
    ref_result want;
    seq_t fseq;
    state_t fh;
    if constexpr (K == cell::lstm) {
        want = ref_lstm(x, l.kernel, l.recurrent_kernel, l.bias, zero, zero);
        const auto out = rnn::lstm(x, l.kernel, l.recurrent_kernel, l.bias, zero, zero);
        fseq = std::get<0>(out);
        fh = std::get<1>(out);
    } else if constexpr (K == cell::gru) {
        want = ref_gru(x, l.kernel, l.recurrent_kernel, l.bias, zero);
        const auto out = rnn::gru(x, l.kernel, l.recurrent_kernel, l.bias, zero);
        fseq = std::get<0>(out);
        fh = std::get<1>(out);
    } else {
        want = ref_simple(x, l.kernel, l.recurrent_kernel, l.bias, zero);
        const auto out = rnn::simple_rnn(x, l.kernel, l.recurrent_kernel, l.bias, zero);
        fseq = std::get<0>(out);
        fh = std::get<1>(out);
    }
    mismatch_log log;
    if constexpr (Sequences) {
        CHECK(y.shape() == tfx::dims_t<3>{NB, NT, NU});
        compare(log, "l(x) against the reference", y, want.seq);
        compare(log, "l(x) against the functional sequence", y, fseq);
    } else {
        CHECK(y.shape() == tfx::dims_t<2>{NB, NU});
        compare(log, "l(x) against the reference", y, want.h);
        compare(log, "l(x) against the functional h_T", y, fh);
    }
    INFO(log.str());
    CHECK(log.count == 0);
    const std::string m = laytest::check_inference_matches_training(l, x, 1e-12);
    INFO(m);
    CHECK(m.empty());
}

template <cell K, bool Sequences, class Spec>
void check_layer(const Spec& spec, std::uint64_t seed) {
    using In = shape<dyn, 3, 4>;
    auto l = spec.template build<double, In>();
    using L = decltype(l);
    STATIC_REQUIRE(std::is_same_v<typename L::input_type, tensor<double, dyn, 3, 4>>);
    STATIC_REQUIRE(std::is_same_v<typename L::output_type,
                                  std::conditional_t<Sequences, tensor<double, dyn, 3, U>, tensor<double, dyn, U>>>);
    CHECK(std::string(L::kind) == (K == cell::lstm ? "lstm" : K == cell::gru ? "gru" : "simple_rnn"));
    CHECK(std::string(L::trainable_names[0]) == "kernel");
    CHECK(std::string(L::trainable_names[1]) == "recurrent_kernel");
    CHECK(std::string(L::trainable_names[2]) == "bias");
    tfx::random::generator gen(seed);
    l.initialize(gen);
    rng r(seed + 1);
    std::apply([&](auto&... v) { (fill_uniform(v, r, -0.8, 0.8), ...); }, l.trainable());
    check_layer_forward<K, Sequences>(l, seed + 2);
}

// initialize(): glorot kernel, an orthogonal U x U recurrent block per gate, the bias.
template <cell K, class L>
void check_initialization(L& l, std::uint64_t seed) {
    constexpr std::size_t G = K == cell::lstm ? 4 : K == cell::gru ? 3 : 1;
    const std::size_t nu = l.recurrent_kernel.shape()[0], nf = l.kernel.shape()[0];
    REQUIRE(l.recurrent_kernel.shape()[1] == G * nu);
    REQUIRE(l.kernel.shape()[1] == G * nu);
    // start from garbage so that initialize() must write everything
    rng r(seed);
    std::apply([&](auto&... v) { (fill_uniform(v, r, 3, 4), ...); }, l.trainable());
    tfx::random::generator gen(seed);
    l.initialize(gen);

    mismatch_log log;
    // bias: zeros, but the LSTM's forget gate [U, 2U) at 1
    for (std::size_t k = 0; k < l.bias.size(); ++k) {
        const bool forget = K == cell::lstm && k >= nu && k < 2 * nu;
        log.compare("bias[" + std::to_string(k) + "]", double(l.bias.data()[k]), forget ? 1.0 : 0.0, 0);
    }
    // recurrent kernel: each gate's block Q [U, U] has Q^T Q = I (and Q Q^T = I)
    for (std::size_t g = 0; g < G; ++g)
        for (std::size_t a = 0; a < nu; ++a)
            for (std::size_t b = 0; b < nu; ++b) {
                double qtq = 0, qqt = 0;
                for (std::size_t k = 0; k < nu; ++k) {
                    qtq += double(l.recurrent_kernel(k, g * nu + a)) * double(l.recurrent_kernel(k, g * nu + b));
                    qqt += double(l.recurrent_kernel(a, g * nu + k)) * double(l.recurrent_kernel(b, g * nu + k));
                }
                const double id = a == b ? 1.0 : 0.0;
                log.compare("gate " + std::to_string(g) + ": (Q^T Q)[" + std::to_string(a) + ", " + std::to_string(b) + "]", qtq,
                            id, 1e-5);
                log.compare("gate " + std::to_string(g) + ": (Q Q^T)[" + std::to_string(a) + ", " + std::to_string(b) + "]", qqt,
                            id, 1e-5);
            }
    INFO(log.str());
    CHECK(log.count == 0);
    // the gates' blocks are drawn separately
    if (G > 1) {
        bool same = true;
        for (std::size_t a = 0; a < nu; ++a)
            for (std::size_t b = 0; b < nu; ++b) same = same && l.recurrent_kernel(a, b) == l.recurrent_kernel(a, nu + b);
        CHECK_FALSE(same);
    }
    // glorot_uniform kernel: |w| <= sqrt(6 / (F + G U)), not all zero
    const double limit = std::sqrt(6.0 / double(nf + G * nu));
    std::size_t outside = 0, zeros = 0;
    for (auto v : l.kernel) {
        if (std::abs(double(v)) > limit * (1 + 1e-6)) ++outside;
        if (v == 0) ++zeros;
    }
    CHECK(outside == 0);
    CHECK(zeros < l.kernel.size());
}

}  // namespace

TEST_CASE("layers::lstm, gru, simple_rnn: inference equals the functional form from zero states", "[layers][rnn]") {
    SECTION("lstm") { check_layer<cell::lstm, false>(layers::lstm<U>(), 1201); }
    SECTION("lstm, return_sequences") { check_layer<cell::lstm, true>(layers::lstm<U>(layers::return_sequences), 1211); }
    SECTION("gru") { check_layer<cell::gru, false>(layers::gru<U>(), 1221); }
    SECTION("gru, return_sequences") { check_layer<cell::gru, true>(layers::gru<U>(layers::return_sequences), 1231); }
    SECTION("simple_rnn") { check_layer<cell::simple, false>(layers::simple_rnn<U>(), 1241); }
    SECTION("simple_rnn, return_sequences") {
        check_layer<cell::simple, true>(layers::simple_rnn<U>(layers::return_sequences), 1251);
    }
}
TEST_CASE("recurrent layers' initialize: unit forget bias, zeros elsewhere, orthogonal recurrent kernel per gate",
          "[layers][rnn][initializers]") {
    using In = shape<dyn, 3, 4>;
    SECTION("lstm, double, 5 units") {
        auto l = layers::lstm<5>().build<double, In>();
        check_initialization<cell::lstm>(l, 1301);
    }
    SECTION("lstm, float, 16 units") {
        auto l = layers::lstm<16>().build<float, In>();
        check_initialization<cell::lstm>(l, 1302);
    }
    SECTION("gru, float, 16 units") {
        auto l = layers::gru<16>(layers::return_sequences).build<float, In>();
        check_initialization<cell::gru>(l, 1303);
    }
    SECTION("simple_rnn, float, 16 units") {
        auto l = layers::simple_rnn<16>().build<float, In>();
        check_initialization<cell::simple>(l, 1304);
    }
}
