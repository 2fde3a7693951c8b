// A model shared between threads (docs/threads.md): predict from several threads at once gives each
// thread the single-threaded results; training from a second thread, or predicting while another
// thread trains, is refused with tfx::usage_error and changes nothing. Also run under
// -fsanitize=thread (scripts/sanitize.sh tsan), which makes any data race a failure.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <latch>
#include <memory>
#include <thread>
#include <tfx/nn.hpp>
#include <vector>

using namespace tfx;

namespace test_threads {
struct two_layers {
    static constexpr auto input = layers::input<6>;
    layers::layer<layers::dense<12>(activations::tanh), 6> hidden;
    layers::layer<layers::dense<4>(), 12> out;
    template <class Ctx, class X>
    auto call(Ctx& ctx, const X& x) {
        return ctx(out, ctx(hidden, x));
    }
};
}  // namespace test_threads
TFX_MODEL(test_threads::two_layers, hidden, out)

namespace {

template <std::size_t F>
tensor<float, dyn, F> random_batch(std::size_t rows, std::uint64_t seed) {
    random::generator g{seed};
    tensor<float, dyn, F> x(rows);
    for (auto& v : x) v = float(g.standard_normal());
    return x;
}

// Each of `threads` threads predicts its own batch `rounds` times (batch sizes differ, so the threads
// also build plans of different shapes) and counts results that differ from the single-threaded ones.
template <class M, std::size_t F>
std::vector<int> predict_concurrently(M& m, int threads, int rounds) {
    const std::size_t rows[] = {1, 7, 32, 5, 64, 3};
    std::vector<tensor<float, dyn, F>> xs;
    std::vector<typename M::output_type> expected;
    for (int t = 0; t < threads; ++t) {
        xs.push_back(random_batch<F>(rows[t % 6], 100 + std::uint64_t(t)));
        expected.push_back(m.predict(xs.back()));  // a copy
    }
    std::vector<int> mismatches(std::size_t(threads), 0);
    std::latch start(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            start.arrive_and_wait();  // all at once
            for (int r = 0; r < rounds; ++r) {
                const auto& y = m.predict(xs[std::size_t(t)]);
                const auto& e = expected[std::size_t(t)];
                if (y.shape() != e.shape() || !std::equal(y.begin(), y.end(), e.begin())) ++mismatches[std::size_t(t)];
            }
        });
    for (auto& th : pool) th.join();
    return mismatches;
}

struct blobs {
    tensor<float, dyn, 6> x;
    tensor<std::int64_t, dyn> y;
};
blobs make_blobs(std::size_t n) {
    blobs b{random_batch<6>(n, 7), tensor<std::int64_t, dyn>(n)};
    for (std::size_t i = 0; i < n; ++i) b.y(i) = std::int64_t(i % 4);
    return b;
}

template <class M>
std::vector<float> weights(const M& m) {
    std::vector<float> w;
    m.for_each_variable([&](std::string_view, const auto& t) { w.insert(w.end(), t.begin(), t.end()); });
    return w;
}

// Holds fit inside its first batch until the test lets it go.
struct pause_in_fit {
    struct sync {
        std::latch in_fit{1}, release{1};
        std::vector<float> weights_at_pause;
        std::function<std::vector<float>()> read;
    };
    std::shared_ptr<sync> s;
    void on_train_batch_end(callbacks::training_context&, std::int64_t batch, const logs&) {
        if (batch != 0) return;
        s->weights_at_pause = s->read();
        s->in_fit.count_down();
        s->release.wait();
    }
};

}  // namespace

TEST_CASE("predict from several threads at once gives each thread the single-threaded result", "[threads][model]") {
    auto m = models::sequential(layers::input<6>, layers::dense<16>(activations::relu), layers::dense<4>(activations::softmax));
    const auto mismatches = predict_concurrently<decltype(m), 6>(m, 4, 200);
    CHECK(mismatches == std::vector<int>(4, 0));
    // And again with more threads than cores, after the model was trained (new variables are read).
    const auto b = make_blobs(64);
    m.compile(optimizers::sgd(0.1f), losses::sparse_categorical_crossentropy());
    m.fit(b.x, b.y, {.epochs = 2, .verbose = 0});
    CHECK(predict_concurrently<decltype(m), 6>(m, 6, 100) == std::vector<int>(6, 0));
}

TEST_CASE("a subclassed model's predict is thread-safe too", "[threads][model]") {
    models::model<test_threads::two_layers> m;
    CHECK(predict_concurrently<decltype(m), 6>(m, 4, 200) == std::vector<int>(4, 0));
}

TEST_CASE("training a model while another thread trains it, or predicting meanwhile, is refused", "[threads][model]") {
    auto m = models::sequential(layers::input<6>, layers::dense<8>(activations::relu), layers::dense<4>());
    m.compile(optimizers::adam(0.01f), losses::sparse_categorical_crossentropy(true));
    const auto b = make_blobs(64);
    auto s = std::make_shared<pause_in_fit::sync>();
    s->read = [&] { return weights(m); };
    auto opts = decltype(m)::fit_options{.epochs = 1, .verbose = 0, .batch_size = 16, .callbacks = {pause_in_fit{s}}};
    std::thread trainer([&] { m.fit(b.x, b.y, opts); });
    s->in_fit.wait();  // the trainer is inside fit, held after its first step

    // Each call must throw usage_error naming itself; returns false (and says why) otherwise.
    const auto refused = [](const char* op, auto&& call) {
        try {
            call();
        } catch (const usage_error& e) {
            const std::string want = std::string("tfx: ") + op + ": the model is being trained on another thread";
            if (std::string(e.what()).find(want) != std::string::npos) return true;
            UNSCOPED_INFO(op << ": unexpected message: " << e.what());
            return false;
        }
        UNSCOPED_INFO(op << ": not refused");
        return false;
    };
    CHECK(refused("train_on_batch", [&] { m.train_on_batch(b.x, b.y); }));
    CHECK(refused("fit", [&] { m.fit(b.x, b.y, {.epochs = 1, .verbose = 0}); }));
    CHECK(refused("evaluate", [&] { m.evaluate(b.x, b.y); }));
    CHECK(refused("test_on_batch", [&] { m.test_on_batch(b.x, b.y); }));
    CHECK(refused("predict", [&] { m.predict(b.x); }));
    CHECK(refused("load_weights", [&] { m.load_weights("/nonexistent.npz"); }));
    CHECK(refused("compile", [&] { m.compile(optimizers::sgd(0.1f), losses::sparse_categorical_crossentropy(true)); }));
    // The refused calls changed nothing: the variables are those the trainer left at its pause.
    CHECK(weights(m) == s->weights_at_pause);

    s->release.count_down();
    trainer.join();
    // Free again: this thread may train and predict.
    CHECK(std::isfinite(m.train_on_batch(b.x, b.y).at("loss")));
    CHECK(m.predict(b.x).shape()[0] == 64);
}

TEST_CASE("inside fit, the training thread itself may predict, evaluate and save", "[threads][model]") {
    auto m = models::sequential(layers::input<6>, layers::dense<8>(activations::relu), layers::dense<4>());
    m.compile(optimizers::sgd(0.05f), losses::sparse_categorical_crossentropy(true), metrics::sparse_categorical_accuracy());
    const auto b = make_blobs(32);
    struct nested {
        decltype(m)* model;
        const blobs* data;
        std::shared_ptr<int> calls = std::make_shared<int>(0);
        void on_epoch_end(callbacks::training_context&, int, const logs&) {
            if (flush_denormals::supported) CHECK(denormals_flushed());  // fit runs under flush_denormals
            CHECK(model->predict(data->x).shape()[0] == 32);
            CHECK(model->evaluate(data->x, data->y).find("loss") != nullptr);
            ++*calls;
        }
    };
    nested cb{&m, &b};
    auto h = m.fit(b.x, b.y, {.epochs = 3, .verbose = 0, .validation_data = std::tie(b.x, b.y), .callbacks = {cb}});
    CHECK(*cb.calls == 3);
    CHECK_FALSE(denormals_flushed());  // and puts the caller's setting back
    CHECK(h.epochs.back().find("val_loss") != nullptr);
}

TEST_CASE("use_guard: readers share, a writer excludes them, the owner may nest", "[threads]") {
    models::detail::use_guard g;
    {
        auto r1 = g.shared("predict");
        auto r2 = g.shared("predict");
        std::atomic<bool> refused{false};
        std::thread other([&] {
            try {
                auto w = g.exclusive("fit");
            } catch (const usage_error& e) {
                refused = std::string(e.what()).find("tfx: fit: the model is in use by predict on another thread") !=
                          std::string::npos;
            }
        });
        other.join();
        CHECK(refused);
    }
    {
        auto w = g.exclusive("fit");
        auto nested = g.exclusive("evaluate");  // the owner nests
        auto read = g.shared("predict");
        std::atomic<int> refusals{0};
        std::thread other([&] {
            try {
                auto r = g.shared("predict");
            } catch (const usage_error&) {
                ++refusals;
            }
            try {
                auto w2 = g.exclusive("train_on_batch");
            } catch (const usage_error&) {
                ++refusals;
            }
        });
        other.join();
        CHECK(refusals == 2);
    }
    // All scopes closed: another thread may now train.
    bool ok = false;
    std::thread later([&] {
        auto w = g.exclusive("fit");
        ok = true;
    });
    later.join();
    CHECK(ok);
}
