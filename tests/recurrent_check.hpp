// Shared by the test_layers_recurrent*.cpp files (one file split in parts for the compiler's time
// and memory): sizes, random cell weights and inputs, and value_and_grad against central
// differences.
#pragma once
#include <tfx/nn.hpp>

#include "layers_check.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>

namespace rnntest {

// The names the test files use (each opens with `using namespace rnntest;`).
using tfx::dyn;
using tfx::index_t;
using tfx::shape;
using tfx::tensor;
namespace layers = tfx::layers;
namespace rnn = tfx::rnn;
using laytest::fill_signed;
using laytest::fill_uniform;
using laytest::mismatch_log;
using laytest::rng;

constexpr std::size_t NB = 2, NT = 3;  // batch, time; 4 features
constexpr index_t U = 5;               // units

using x_t = tensor<double, dyn, dyn, 4>;  // [batch, time, features], run-time time axis
using seq_t = tensor<double, dyn, dyn, U>;
using state_t = tensor<double, dyn, U>;

// Random weights and nonzero initial states for gates G.
template <index_t G, class Bias>
struct cell_weights {
    tensor<double, 4, G * U> w;
    tensor<double, U, G * U> r;
    Bias b;
    state_t h0 = state_t(NB), c0 = state_t(NB);
    explicit cell_weights(std::uint64_t seed) {
        rng g(seed);
        fill_uniform(w, g, -0.7, 0.7);
        fill_uniform(r, g, -0.6, 0.6);
        fill_uniform(b, g, -0.5, 0.5);
        fill_signed(h0, g, 0.1, 0.9);
        fill_signed(c0, g, 0.1, 1.2);
    }
};
using lstm_weights = cell_weights<4, tensor<double, 4 * U>>;
using gru_weights = cell_weights<3, tensor<double, 2, 3 * U>>;
using simple_weights = cell_weights<1, tensor<double, U>>;

inline x_t random_x(std::uint64_t seed, std::size_t nt = NT) {
    rng g(seed);
    x_t x(NB, nt);
    fill_uniform(x, g, -1.2, 1.2);
    return x;
}

// ---- value_and_grad<I...>(f) against central differences in every element of the arguments I...
template <std::size_t... I, class Fn, class... A>
std::string check_grad_wrt(Fn f, std::tuple<A...> xs, const std::array<const char*, sizeof...(I)>& names, double h = 1e-5,
                           double tol = 1e-6) {
    mismatch_log log;
    auto vg = tfx::value_and_grad<I...>(f);
    const auto res = std::apply([&](const auto&... a) { return vg(a...); }, xs);
    tfx::function<Fn> fn(f);
    auto value = [&] { return double(std::apply([&](const auto&... a) -> decltype(auto) { return fn(a...); }, xs)()); };
    log.compare("value", double(std::get<0>(res)()), value(), 1e-12);
    auto one = [&]<std::size_t J, std::size_t K>(std::integral_constant<std::size_t, J>, std::integral_constant<std::size_t, K>) {
        auto& x = std::get<J>(xs);
        const auto& g = std::get<K + 1>(res);
        const std::string name = names[K];
        if (g.shape() != x.shape()) {
            log.compare("shape of d " + name, 0, 1);
            return;
        }
        for (std::size_t k = 0; k < x.size(); ++k) {
            const double v = x.data()[k];
            x.data()[k] = v + h;
            const double up = value();
            x.data()[k] = v - h;
            const double down = value();
            x.data()[k] = v;
            log.compare("d " + name + "[" + std::to_string(k) + "]", double(g.data()[k]), (up - down) / (2 * h), tol);
        }
    };
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        constexpr std::size_t idx[] = {I...};
        (one(std::integral_constant<std::size_t, idx[K]>{}, std::integral_constant<std::size_t, K>{}), ...);
    }(std::make_index_sequence<sizeof...(I)>{});
    return log.str();
}

}  // namespace rnntest
