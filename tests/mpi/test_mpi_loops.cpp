// Data-parallel training over MPI, part of tfx_mpi_tests (main in test_mpi.cpp; split for the
// compiler): a custom loop averages its gradients with one call, and with a model (value_and_grad,
// all_reduce_mean, apply_gradients) keeps the ranks' variables identical.
#include <catch2/catch.hpp>

#include "../blobs.hpp"
#include "mpi_check.hpp"

using namespace tfx;
using namespace mpitest;

TEST_CASE("a custom loop averages its gradients with one call", "[mpi][autodiff]") {
    tensor<float, 3> g1;
    tensor<double, 2, 2> g2;
    const double r = world->rank();
    for (auto& v : g1) v = float(r + 1);
    for (auto& v : g2) v = 10 * r;
    world->all_reduce_mean(std::tie(g1, g2));
    for (auto v : g1) CHECK(v == 1.5f);
    for (auto v : g2) CHECK(v == 5.0);
    CHECK(world->all_reduce_mean(r) == 0.5);
}

TEST_CASE("a custom loop with a model: value_and_grad, all_reduce_mean, apply_gradients", "[mpi][model][autodiff]") {
    const blobs b = make_blobs(96, 20 + std::uint64_t(world->rank()));  // each rank its own data
    auto m = models::sequential(layers::input<4>, layers::dense<8>(activations::tanh), layers::dense<3>());
    if (world->rank() == 1) m.initialize(random::generator{99});  // made equal by the broadcast
    world->broadcast_variables(m);
    CHECK(same_on_all_ranks(flat(m)));
    auto opt = optimizers::sgd{.learning_rate = 0.1};
    const losses::sparse_categorical_crossentropy loss_fn{.from_logits = true};
    auto ds = data::from_tensor_slices(b.x, b.y).batch(16);
    double first = 0, last = 0;
    for (int epoch = 0; epoch < 5; ++epoch)
        for (const auto& [x, y] : ds) {
            auto [l, grads] = tfx::value_and_grad([&](auto& mv) { return loss_fn(y, mv(x)); })(m);
            world->all_reduce_mean(grads);
            opt.apply_gradients(grads, m.trainable_variables());
            last = world->all_reduce_mean(double(l()));
            if (first == 0) first = last;
        }
    CHECK(same_on_all_ranks(flat(m)));
    CHECK(last < first);
}
