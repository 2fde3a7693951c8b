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

TEST_CASE("average_views: the mean over ranks of the float and double variables, others left alone", "[mpi]") {
    tensor<float, 2, 3> f;
    tensor<double, 4> d;
    tensor<std::int64_t, 2> ids;
    const double r = world->rank();
    for (std::size_t i = 0; i < f.size(); ++i) f.data()[i] = float(10 * r + double(i));
    for (std::size_t i = 0; i < d.size(); ++i) d.data()[i] = -r * double(i);
    ids(0) = ids(1) = std::int64_t(r);
    world->average_views({distribute::detail::view_of("f", f), distribute::detail::view_of("ids", ids),
                          distribute::detail::view_of("d", d)});
    for (std::size_t i = 0; i < f.size(); ++i) CHECK(f.data()[i] == float(5 + double(i)));  // (i + 10 + i) / 2
    for (std::size_t i = 0; i < d.size(); ++i) CHECK(d.data()[i] == -0.5 * double(i));
    CHECK(ids(0) == std::int64_t(r));
    CHECK(ids(1) == std::int64_t(r));
}

TEST_CASE("fit averages batch_norm's moving statistics over the ranks at each epoch's end", "[mpi][model]") {
    // Each rank trains on its own data, so each rank's batches move the statistics differently;
    // fit makes them the ranks' mean, and the trained variables stay identical anyway.
    const blobs b = make_blobs(64, 30 + std::uint64_t(world->rank()));
    auto m = models::sequential(layers::input<4>, layers::dense<8>(), layers::batch_norm(0.5), layers::dense<3>());
    m.compile(optimizers::sgd{.learning_rate = 0.05}, losses::sparse_categorical_crossentropy{.from_logits = true});
    m.fit(b.x, b.y, {.epochs = 2, .verbose = 0, .batch_size = 16, .seed = 3, .strategy = world});
    const auto& bn = m.layer<1>();
    std::vector<double> stats(bn.moving_mean.begin(), bn.moving_mean.end());
    stats.insert(stats.end(), bn.moving_variance.begin(), bn.moving_variance.end());
    CHECK(same_on_all_ranks(stats));
    CHECK(same_on_all_ranks(flat(m)));
    CHECK(std::any_of(stats.begin(), stats.begin() + 8, [](double v) { return v != 0; }));  // it moved
}
