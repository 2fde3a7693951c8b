// Shared by test_control_scan.cpp, test_control_scan_grad.cpp, test_control_scan_cond.cpp and
// test_control_scan_lengths.cpp (one file split in four to keep each TU's compile time down): the
// RNN of the scan tests, its hand-written reference, and helpers.
#pragma once
#include "test_autodiff_check.hpp"

namespace scantest {

using adtest::check_grad;
using adtest::rng;
using tfx::dyn;
using tfx::tensor;

inline constexpr std::size_t B = 3, H = 4;

template <class Tn>
Tn uniform(rng& r, double lo = -1, double hi = 1) {
    Tn t;
    adtest::fill_uniform(t, r, lo, hi);
    return t;
}
template <class Tn>
void fill(Tn& t, rng& r, double lo = -1, double hi = 1) {
    adtest::fill_uniform(t, r, lo, hi);
}

inline bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The RNN of these tests: h_{t+1} = tanh(h_t @ U + x_t + bias), y_t = h_{t+1}, with U a symbol
// captured from the enclosing function's arguments and bias a captured constant tensor.
struct rnn {
    tensor<double, H> bias{0.1, -0.2, 0.05, 0.3};

    auto run(const auto& U, const auto& h0, const auto& xs) const {
        return tfx::scan(
            [&](auto h, auto x) {
                auto n = tanh(matmul(h, U) + x + bias);
                return std::tuple{n, n};
            },
            h0, xs);
    }
    // The loss whose gradients are checked: uses both the final carry and every output.
    auto loss() const {
        return [this](auto U, auto h0, auto xs) {
            auto [hf, ys] = run(U, h0, xs);
            return sum(hf) + sum(ys * ys) * 0.5;
        };
    }

    // The same by hand: the final carry, and the outputs stacked [T, B, H].
    std::pair<std::vector<double>, std::vector<double>> reference(const tensor<double, H, H>& U,
                                                                  const tensor<double, B, H>& h0,
                                                                  const tensor<double, dyn, B, H>& xs) const {
        const std::size_t T = xs.shape()[0];
        std::vector<double> h(h0.begin(), h0.end()), ys;
        for (std::size_t t = 0; t < T; ++t) {
            std::vector<double> n(B * H);
            for (std::size_t b = 0; b < B; ++b)
                for (std::size_t j = 0; j < H; ++j) {
                    double s = 0;
                    for (std::size_t k = 0; k < H; ++k) s += h[b * H + k] * U(k, j);
                    n[b * H + j] = std::tanh(s + xs(t, b, j) + bias(j));
                }
            h = n;
            ys.insert(ys.end(), n.begin(), n.end());
        }
        return {h, ys};
    }
    double reference_loss(const tensor<double, H, H>& U, const tensor<double, B, H>& h0,
                          const tensor<double, dyn, B, H>& xs) const {
        auto [h, ys] = reference(U, h0, xs);
        double l = 0;
        for (double v : h) l += v;
        for (double v : ys) l += 0.5 * v * v;
        return l;
    }
};

template <class Got>
std::string compare_with(const Got& got, const std::vector<double>& want, double tol = 1e-12) {
    adtest::mismatch_log log;
    if (got.size() != want.size()) return "sizes differ: " + std::to_string(got.size()) + " and " + std::to_string(want.size());
    for (std::size_t k = 0; k < want.size(); ++k) log.compare("[" + std::to_string(k) + "]", got.data()[k], want[k], tol);
    return log.str();
}

struct rnn_inputs {
    tensor<double, H, H> U;
    tensor<double, B, H> h0;
    tensor<double, dyn, B, H> xs;
    rnn_inputs(rng& r, std::size_t T) : xs(tfx::uninitialized, {T, B, H}) {
        fill(U, r, -0.6, 0.6);
        fill(h0, r);
        fill(xs, r);
    }
};

}  // namespace scantest
