// Data-parallel training over MPI (distribute/mpi.hpp), run as `mpirun -np 2 tfx_mpi_tests` (CTest:
// mpi.two_ranks). Every rank runs every test case in the same order, so the collectives match.
// Checked: shards cover a data set once per epoch; fit with the global batch leaves both ranks with
// identical variables equal (within float tolerance) to one process training on the global batch,
// with the same logs; a rank whose shard ends early takes part until every rank is done; a model
// that differs between ranks and a rank that fails in a step end fit on every rank with an error,
// nothing changed, nobody waiting; a data-parallel step allocates nothing in steady state; a custom
// loop's gradient averaging.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <tfx/distribute/mpi.hpp>
#include <tfx/nn.hpp>
#include <vector>

#include "../blobs.hpp"

// operator new is counted (tests/counting_new.hpp); Open MPI allocates with malloc, so the count
// is tfx's and the test's.
#include "../counting_new.hpp"

using namespace tfx;

namespace {

distribute::mpi_strategy* world = nullptr;

auto make_model() {
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

double max_rel_diff(const std::vector<double>& a, const std::vector<double>& b) {
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]) / std::max(1.0, std::abs(b[i])));
    return worst;
}

// Whether v is bit for bit the same on every rank (rank 0's copy broadcast and compared).
bool same_on_all_ranks(std::vector<double> v) {
    std::vector<double> root = v;
    world->broadcast(root.data(), root.size() * sizeof(double), 0);
    double differs = std::memcmp(root.data(), v.data(), v.size() * sizeof(double)) != 0 ? 1 : 0;
    world->all_reduce_sum(&differs, 1);
    return differs == 0;
}

}  // namespace

TEST_CASE("two ranks", "[mpi]") {
    REQUIRE(world->num_replicas() == 2);
}

TEST_CASE("each rank's shard: together they hold every element once per epoch", "[mpi][data]") {
    const std::size_t n = 23;
    tensor<std::int64_t, dyn> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids(i) = std::int64_t(i);
    auto mine = data::from_tensor_slices(ids).shard(world->num_replicas(), world->rank()).batch(4);
    for (int epoch = 0; epoch < 2; ++epoch) {
        std::vector<double> seen(n, 0.0);
        for (const auto& b : mine)
            for (auto v : b) seen[std::size_t(v)] += 1;
        world->all_reduce_sum(seen.data(), n);
        CHECK(std::count(seen.begin(), seen.end(), 1.0) == std::ptrdiff_t(n));
    }
}

TEST_CASE("fit with the global batch: identical variables on both ranks, as one process would train", "[mpi][model]") {
    const blobs b = make_blobs(200, 11);  // the same data on every rank
    auto m = make_model();
    auto single = make_model();           // the reference: this process alone, the global batch
    const auto initial = flat(m);
    if (world->rank() == 1)               // rank 1 starts elsewhere: fit broadcasts rank 0's variables
        for (auto& v : m.layer<0>().kernel) v += 1.0f;
    const auto h = m.fit(b.x, b.y, {.epochs = 3, .verbose = 0, .batch_size = 32, .seed = 5, .strategy = world});
    const auto hs = single.fit(b.x, b.y, {.epochs = 3, .verbose = 0, .batch_size = 32, .seed = 5});
    const auto mine = flat(m), ref = flat(single);
    CHECK(same_on_all_ranks(mine));
    CHECK(mine != initial);  // it trained
    CHECK(max_rel_diff(mine, ref) < 1e-4);
    // The logs are the means over every rank's rows: those of the single process, on every rank.
    for (std::size_t e = 0; e < 3; ++e) {
        CHECK(h.epochs[e].at("loss") == Approx(hs.epochs[e].at("loss")).epsilon(1e-4));
        CHECK(h.epochs[e].at("sparse_categorical_accuracy") == Approx(hs.epochs[e].at("sparse_categorical_accuracy")).margin(1e-9));
        CHECK(same_on_all_ranks({h.epochs[e].at("loss"), h.epochs[e].at("sparse_categorical_accuracy")}));
    }
    CHECK(h.at("loss").back() < h.at("loss").front());
    CHECK(m.optimizer_iterations() == 3 * 7);  // ceil(200 / 32) steps per epoch, the same on each rank
}

TEST_CASE("fit on datasets of different lengths: a rank that runs out takes part until all have", "[mpi][model][data]") {
    const blobs b = make_blobs(120, 12);
    // Rank 0: 5 batches of 8; rank 1: 3. The ranks step together 5 times.
    auto ds = data::from_tensor_slices(b.x, b.y).shard(2, world->rank()).take(world->rank() == 0 ? 40 : 24).batch(8);
    auto m = make_model();
    const auto h = m.fit(ds, {.epochs = 2, .verbose = 0, .strategy = world});
    CHECK(same_on_all_ranks(flat(m)));
    CHECK(m.optimizer_iterations() == 2 * 5);
    CHECK(same_on_all_ranks({h.epochs[1].at("loss")}));
}

TEST_CASE("a model that differs between the ranks: an error on every rank, nothing changed", "[mpi][model][errors]") {
    const blobs b = make_blobs(64, 13);
    auto run = [&](auto m) {
        const auto before = flat(m);
        std::string what = "(no error)";
        try {
            m.fit(b.x, b.y, {.epochs = 1, .verbose = 0, .strategy = world});
        } catch (const distribute_error& e) {
            what = e.what();
        }
        CHECK(flat(m) == before);
        return what;
    };
    std::string what;
    if (world->rank() == 0) {
        what = run(make_model());
    } else {
        auto other = models::sequential(layers::input<4>, layers::dense<12>(activations::relu), layers::dense<3>());
        other.compile(optimizers::adam{}, losses::sparse_categorical_crossentropy{.from_logits = true});
        what = run(std::move(other));
    }
    INFO(what);
    CHECK_THAT(what, Catch::Contains("tfx: broadcast_variables: the ranks differ in the model's variables: rank 0 has "
                                     "\"dense/kernel [4,16] of 4-byte elements\" where rank 1 has "
                                     "\"dense/kernel [4,12] of 4-byte elements\""));
}

TEST_CASE("a rank that fails in a step: its error there, a clear one on the others, no update anywhere", "[mpi][model][errors]") {
    blobs b = make_blobs(64, 14);
    auto m = make_model();
    m.fit(b.x, b.y, {.epochs = 1, .verbose = 0, .batch_size = 64, .shuffle = false, .strategy = world});  // one step
    // Then batches of 32 in order: rank 1 takes rows 16..31 of the first and 48..63 of the second.
    if (world->rank() == 1) b.y(50) = 7;  // out of range for 3 classes
    const auto before = flat(m);
    std::string what = "(no error)";
    try {
        m.fit(b.x, b.y, {.epochs = 1, .verbose = 0, .batch_size = 32, .shuffle = false, .strategy = world});
    } catch (const std::exception& e) {
        what = e.what();
    }
    INFO(what);
    if (world->rank() == 1) {
        CHECK_THAT(what, Catch::Contains("label 7") && Catch::Contains("out of range [0, 3)"));
    } else {
        CHECK_THAT(what, Catch::Contains("tfx: fit: rank 1 of 2 failed in step 2") &&
                             Catch::Contains("no rank's variables took that step"));
    }
    // The second fit's first step was taken on both ranks alike, the failed one on neither.
    CHECK(same_on_all_ranks(flat(m)));
    CHECK(flat(m) != before);
    CHECK(m.optimizer_iterations() == 2);
}

TEST_CASE("a data-parallel fit step allocates nothing in steady state (metrics' states included)", "[mpi][model][alloc]") {
    // A binary problem, so that auc (a vector of buckets per threshold) is among the metrics whose
    // states are summed across the ranks for every step's logs.
    const blobs b = make_blobs(256, 21);
    tensor<float, dyn, 1> y(b.y.size());
    for (std::size_t i = 0; i < b.y.size(); ++i) y(i, 0) = b.y(i) == 0 ? 1.0f : 0.0f;
    auto m = models::sequential(layers::input<4>, layers::dense<8>(activations::relu), layers::dense<1>(activations::sigmoid));
    m.compile(optimizers::adam{.learning_rate = 1e-2}, losses::binary_crossentropy{}, metrics::auc{},
              metrics::binary_accuracy{}, metrics::precision{});
    // operator new calls between consecutive batch ends, after the first epoch.
    std::vector<std::size_t> per_step;
    per_step.reserve(64);
    std::size_t last = 0;
    int epoch = 0;
    callbacks::lambda_callback count{
        .on_epoch_begin = [&](callbacks::training_context&, int e) { epoch = e; },
        .on_train_batch_end =
            [&](callbacks::training_context&, std::int64_t batch, const logs&) {
                const std::size_t now = tfx_test::operator_news.load();
                if (epoch > 0 && batch > 0) per_step.push_back(now - last);
                last = tfx_test::operator_news.load();
            }};
    const auto h = m.fit(b.x, y, {.epochs = 3, .verbose = 0, .batch_size = 64, .seed = 3, .callbacks = {count}, .strategy = world});
    REQUIRE(per_step.size() == 2 * 3);  // 256 / 64 = 4 steps per epoch; steps 1..3 of epochs 1 and 2
    for (std::size_t n : per_step) CHECK(n == 0);
    CHECK(h.epochs.back().at("auc") > 0.5);
    CHECK(same_on_all_ranks({h.epochs.back().at("auc"), h.epochs.back().at("loss")}));
}

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

int main(int argc, char** argv) {
    distribute::mpi_strategy strategy;
    world = &strategy;
    // Both ranks run and report every test; the exit code is non-zero on every rank if either failed.
    const int failed = Catch::Session().run(argc, argv);
    double failures = failed;
    strategy.all_reduce_sum(&failures, 1);
    return failures == 0 ? 0 : 1;
}
