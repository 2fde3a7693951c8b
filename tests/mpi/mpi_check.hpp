// Shared by the data-parallel tests of tests/mpi (one executable, tfx_mpi_tests, run on two ranks):
// the rank's strategy (set by main in test_mpi.cpp), the model most cases train, and comparisons
// of variables across ranks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>
#include <vector>

#include <tfx/distribute/mpi.hpp>
#include <tfx/nn.hpp>

namespace mpitest {

using namespace tfx;

inline distribute::mpi_strategy* world = nullptr;  // main's strategy

inline auto make_model() {
    auto m = models::sequential(layers::input<4>, layers::dense<16>(activations::relu), layers::dense<3>());
    m.compile(optimizers::adam{.learning_rate = 1e-2}, losses::sparse_categorical_crossentropy{.from_logits = true},
              metrics::sparse_categorical_accuracy{});
    return m;
}

// All variables of a model, flattened.
template <class M>
std::vector<double> flat(const M& m) {
    std::vector<double> v;
    m.for_each_variable([&](std::string_view, const auto& t) { v.insert(v.end(), t.begin(), t.end()); });
    return v;
}

inline double max_rel_diff(const std::vector<double>& a, const std::vector<double>& b) {
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]) / std::max(1.0, std::abs(b[i])));
    return worst;
}

// Whether v is bit for bit the same on every rank (rank 0's copy broadcast and compared).
inline bool same_on_all_ranks(std::vector<double> v) {
    std::vector<double> root = v;
    world->broadcast(root.data(), root.size() * sizeof(double), 0);
    double differs = std::memcmp(root.data(), v.data(), v.size() * sizeof(double)) != 0 ? 1 : 0;
    world->all_reduce_sum(&differs, 1);
    return differs == 0;
}

}  // namespace mpitest
