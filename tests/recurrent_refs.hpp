// Plain-loop references of the recurrent cells (Keras gate order: LSTM i, f, c, o; GRU z, r, h
// with reset_after and a [2, 3U] bias; simple_rnn h' = tanh(x W + h U + b)) and comparisons, shared by
// test_layers_recurrent.cpp and test_layers_recurrent_layers.cpp.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "recurrent_check.hpp"

namespace rnntest {

constexpr std::size_t NF = 4;  // features
constexpr std::size_t NU = std::size_t(U);

inline double sigm(double v) { return 1 / (1 + std::exp(-v)); }

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

}  // namespace rnntest
