// What fit hands its callbacks about the model (models::detail::run_fit, from the model's variable
// views): get_weights is a snapshot of every variable in for_each_variable's order, set_weights
// puts one back, write_histograms writes one histogram per variable, named by its path.
#include <catch2/catch.hpp>

#include <any>
#include <filesystem>
#include <memory>
#include <string>
#include <tfx/nn.hpp>
#include <vector>

#include "blobs.hpp"
#include "temp_dir.hpp"

using namespace tfx;

namespace {

using snapshot = std::vector<std::vector<double>>;

struct probe_state {
    std::function<snapshot()> read;  // the model's variables now, through for_each_variable
    std::vector<snapshot> given, actual;
    std::filesystem::path histogram_dir;
};

struct probe {
    std::shared_ptr<probe_state> s;
    void on_epoch_end(callbacks::training_context& ctx, int epoch, const tfx::logs&) {
        s->given.push_back(std::any_cast<snapshot>(ctx.get_weights()));
        s->actual.push_back(s->read());
        if (epoch == 0) {
            summary::file_writer w(s->histogram_dir);
            ctx.write_histograms(w, 0);
            w.flush();
        }
    }
    // Back to the weights of the end of the first epoch.
    void on_train_end(callbacks::training_context& ctx, const tfx::logs&) { ctx.set_weights(std::any(s->given.front())); }
};

template <class M>
snapshot read_variables(M& m) {
    snapshot w;
    m.for_each_variable([&](std::string_view, const auto& t) { w.emplace_back(t.begin(), t.end()); });
    return w;
}

}  // namespace

TEST_CASE("fit's callbacks get, set and write histograms of every variable of the model", "[model][callbacks]") {
    auto m = models::sequential(layers::input<4>, layers::dense<6>(activations::relu), layers::batch_norm(), layers::dense<3>());
    m.compile(optimizers::adam{.learning_rate = 1e-2}, losses::sparse_categorical_crossentropy{.from_logits = true});
    const blobs b = make_blobs(64, 3);
    tfxtest::temp_dir dir;
    auto s = std::make_shared<probe_state>();
    s->read = [&] { return read_variables(m); };
    s->histogram_dir = dir.path;
    std::vector<std::string> names;
    m.for_each_variable([&](std::string_view name, const auto&) { names.emplace_back(name); });
    REQUIRE(names.size() == 8);  // two kernels and biases, gamma, beta and the moving statistics

    m.fit(b.x, b.y, {.epochs = 3, .verbose = 0, .batch_size = 16, .callbacks = {probe{s}}});

    // Each epoch's snapshot is the model's variables at that moment, in the same order and sizes.
    REQUIRE(s->given.size() == 3);
    for (std::size_t e = 0; e < 3; ++e) CHECK(s->given[e] == s->actual[e]);
    CHECK(s->given[0] != s->given[2]);  // it trained
    // set_weights at the end put the first epoch's values back, every variable.
    CHECK(read_variables(m) == s->given[0]);

    // One histogram per variable, tagged with its name.
    std::string bytes;
    for (const auto& e : std::filesystem::directory_iterator(dir.path)) bytes += tfxtest::read_file(e.path());
    for (const auto& name : names) {
        INFO(name);
        CHECK(bytes.find(name) != std::string::npos);
    }
}
