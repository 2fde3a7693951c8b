// Recurrent networks (include/tfx/nn/recurrent.hpp) in double precision:
// - the functional forms rnn::lstm, rnn::gru and rnn::simple_rnn against plain loops of the
//   equations in the header (Keras gate order: LSTM i, f, c, o; GRU z, r, h with reset_after and a
//   [2, 3U] bias), sequence and final states, from random nonzero initial states, eagerly and in
//   tfx::function;
// - backpropagation through time for rnn::lstm: value_and_grad of a scalar built on its three
//   outputs with respect to x, kernel, recurrent_kernel, bias, h0 and c0 against central differences;
// - the layers layers::lstm / gru / simple_rnn with and without return_sequences: l(x) equals the
//   plain loop and the functional form from zero states, and forward_train; layers::lstm's
//   forward_train/backward against finite differences; initialize() (unit forget bias, zeros
//   elsewhere, glorot kernel, an orthogonal recurrent block per gate); a run-time time axis;
// - a sequence without time steps throws tfx::value_error ("tfx: lstm: ...");
// - sequential(input<8, 8>, lstm<16>, dense<10>) trains with fit.
// The GRU's and simple_rnn's gradients are in test_layers_recurrent_grad.cpp (the two files split
// the compiler's memory: each needs several GB).
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

using tfx::dyn;
using tfx::index_t;
using tfx::shape;
using tfx::tensor;
namespace layers = tfx::layers;
namespace rnn = tfx::rnn;
using laytest::close;
using laytest::fill_signed;
using laytest::fill_uniform;
using laytest::mismatch_log;
using laytest::rng;

using namespace rnntest;
constexpr std::size_t NF = 4;  // features
constexpr std::size_t NU = std::size_t(U);

double sigm(double v) { return 1 / (1 + std::exp(-v)); }

// ---- plain-loop references --------------------------------------------------------------------
// seq [B, T, U] batch-major, h and c [B, U], row-major.
struct ref_result {
    std::vector<double> seq, h, c;
};

template <class X, class R>
ref_result ref_start(const X& x, const R& r, const state_t& h0, const state_t* c0) {
    const std::size_t nb = x.shape()[0], nt = x.shape()[1], nu = r.shape()[0];
    ref_result o;
    o.seq.assign(nb * nt * nu, 0.0);
    o.h.assign(nb * nu, 0.0);
    o.c.assign(nb * nu, 0.0);
    for (std::size_t b = 0; b < nb; ++b)
        for (std::size_t j = 0; j < nu; ++j) {
            o.h[b * nu + j] = h0(b, j);
            if (c0) o.c[b * nu + j] = (*c0)(b, j);
        }
    return o;
}

// z = x W + h R + b, then i, f, g, o; c' = f c + i g; h' = o tanh(c').
template <class X, class W, class R, class Bv>
ref_result ref_lstm(const X& x, const W& w, const R& r, const Bv& bias, const state_t& h0, const state_t& c0) {
    const std::size_t nb = x.shape()[0], nt = x.shape()[1], nf = x.shape()[2], nu = r.shape()[0];
    ref_result o = ref_start(x, r, h0, &c0);
    std::vector<double> z(4 * nu);
    for (std::size_t t = 0; t < nt; ++t)
        for (std::size_t b = 0; b < nb; ++b) {
            for (std::size_t k = 0; k < 4 * nu; ++k) {
                double s = bias(k);
                for (std::size_t f = 0; f < nf; ++f) s += x(b, t, f) * w(f, k);
                for (std::size_t u = 0; u < nu; ++u) s += o.h[b * nu + u] * r(u, k);
                z[k] = s;
            }
            for (std::size_t j = 0; j < nu; ++j) {
                const double ig = sigm(z[j]), fg = sigm(z[nu + j]), gg = std::tanh(z[2 * nu + j]), og = sigm(z[3 * nu + j]);
                double& c = o.c[b * nu + j];
                c = fg * c + ig * gg;
                o.h[b * nu + j] = og * std::tanh(c);
                o.seq[(b * nt + t) * nu + j] = o.h[b * nu + j];
            }
        }
    return o;
}

// x_* = x W + b_in, r_* = h R + b_rec; z = σ(x_z + r_z), r = σ(x_r + r_r), hh = tanh(x_h + r r_h);
// h' = z h + (1 - z) hh.
template <class X, class W, class R, class Bv>
ref_result ref_gru(const X& x, const W& w, const R& r, const Bv& bias, const state_t& h0) {
    const std::size_t nb = x.shape()[0], nt = x.shape()[1], nf = x.shape()[2], nu = r.shape()[0];
    ref_result o = ref_start(x, r, h0, nullptr);
    std::vector<double> xp(3 * nu), rp(3 * nu);
    for (std::size_t t = 0; t < nt; ++t)
        for (std::size_t b = 0; b < nb; ++b) {
            for (std::size_t k = 0; k < 3 * nu; ++k) {
                double s = bias(0, k), q = bias(1, k);
                for (std::size_t f = 0; f < nf; ++f) s += x(b, t, f) * w(f, k);
                for (std::size_t u = 0; u < nu; ++u) q += o.h[b * nu + u] * r(u, k);
                xp[k] = s;
                rp[k] = q;
            }
            for (std::size_t j = 0; j < nu; ++j) {
                const double zg = sigm(xp[j] + rp[j]), rg = sigm(xp[nu + j] + rp[nu + j]);
                const double hh = std::tanh(xp[2 * nu + j] + rg * rp[2 * nu + j]);
                double& h = o.h[b * nu + j];
                h = zg * h + (1 - zg) * hh;
                o.seq[(b * nt + t) * nu + j] = h;
            }
        }
    return o;
}

// h' = tanh(x W + h R + b)
template <class X, class W, class R, class Bv>
ref_result ref_simple(const X& x, const W& w, const R& r, const Bv& bias, const state_t& h0) {
    const std::size_t nb = x.shape()[0], nt = x.shape()[1], nf = x.shape()[2], nu = r.shape()[0];
    ref_result o = ref_start(x, r, h0, nullptr);
    std::vector<double> z(nu);
    for (std::size_t t = 0; t < nt; ++t)
        for (std::size_t b = 0; b < nb; ++b) {
            for (std::size_t k = 0; k < nu; ++k) {
                double s = bias(k);
                for (std::size_t f = 0; f < nf; ++f) s += x(b, t, f) * w(f, k);
                for (std::size_t u = 0; u < nu; ++u) s += o.h[b * nu + u] * r(u, k);
                z[k] = s;
            }
            for (std::size_t j = 0; j < nu; ++j) {
                o.h[b * nu + j] = std::tanh(z[j]);
                o.seq[(b * nt + t) * nu + j] = o.h[b * nu + j];
            }
        }
    return o;
}

template <class Tn>
void compare(mismatch_log& log, const std::string& what, const Tn& got, const std::vector<double>& want, double tol = 1e-12) {
    if (got.size() != want.size()) {
        log.compare(what + ": size", double(got.size()), double(want.size()), 0);
        return;
    }
    for (std::size_t k = 0; k < want.size(); ++k)
        log.compare(what + "[" + std::to_string(k) + "]", double(got.data()[k]), want[k], tol);
}
template <class A, class Bt>
void compare(mismatch_log& log, const std::string& what, const A& got, const Bt& want, double tol = 1e-12) {
    if (got.size() != want.size()) {
        log.compare(what + ": size", double(got.size()), double(want.size()), 0);
        return;
    }
    for (std::size_t k = 0; k < want.size(); ++k)
        log.compare(what + "[" + std::to_string(k) + "]", double(got.data()[k]), double(want.data()[k]), tol);
}


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
// 1. Forward passes of the functional forms
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

// ================================================================================================
// 2. Backpropagation through time
// ================================================================================================

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

// ================================================================================================
// 3. The layers
// ================================================================================================

namespace {

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

// forward_train / backward against finite differences of <g, l(x)>, batches 1 and 2 (gru and
// simple_rnn: test_layers_recurrent_grad.cpp)
TEST_CASE("layers::lstm's gradients match finite differences", "[layers][rnn][lstm][gradients]") {
    laytest::check_spec_gradients<shape<dyn, 3, 4>>(layers::lstm<U>(), {1, 2});
    laytest::check_spec_gradients<shape<dyn, 3, 4>>(layers::lstm<U>(layers::return_sequences), {1, 2});
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
// 4. Errors
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

// ================================================================================================
// 5. A model
// ================================================================================================

TEST_CASE("sequential(input<8, 8>, lstm<16>, dense<10>) compiles and fit reduces the loss", "[rnn][model]") {
    auto m = tfx::models::sequential(layers::input<8, 8>, layers::lstm<16>(), layers::dense<10>());
    STATIC_REQUIRE(std::is_same_v<decltype(m)::output_type, tensor<float, dyn, 10>>);
    CHECK(m.count_params() == (8 * 64 + 16 * 64 + 64) + (16 * 10 + 10));
    CHECK(m.trainable_variable_names() ==
          std::vector<std::string>{"lstm/kernel", "lstm/recurrent_kernel", "lstm/bias", "dense/kernel", "dense/bias"});
    m.compile(tfx::optimizers::adam{.learning_rate = 1e-2},
              tfx::losses::sparse_categorical_crossentropy{.from_logits = true});

    // The class is the time step whose row is raised: labels 0..7 of 10 logits.
    constexpr std::size_t n = 256;
    tfx::random::generator g{1601};
    tensor<float, dyn, 8, 8> x(n);
    tensor<std::int64_t, dyn> y(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = std::size_t(g.below(8));
        y(i) = std::int64_t(c);
        for (std::size_t t = 0; t < 8; ++t)
            for (std::size_t f = 0; f < 8; ++f) x(i, t, f) = float(0.5 * g.uniform01() + (t == c ? 1.0 : 0.0));
    }
    const double before = m.evaluate(x, y).at("loss");
    auto h = m.fit(x, y, {.epochs = 4, .verbose = 0, .batch_size = 32});
    REQUIRE(h.epochs.size() == 4);
    const auto losses = h.at("loss");
    const double after = m.evaluate(x, y).at("loss");
    INFO("loss before " << before << ", per epoch " << losses.front() << " .. " << losses.back() << ", after " << after);
    CHECK(std::isfinite(after));
    CHECK(losses.back() < losses.front());
    CHECK(after < 0.7 * before);
}
