// Keras-style callbacks driven by hand: a fake training_context and fake logs, no model.
#include <tfx/callbacks/callbacks.hpp>
#include <tfx/callbacks/logs.hpp>
#include <tfx/summary/crc32c.hpp>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <any>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace cb = tfx::callbacks;
using tfx::logs;
using cb::training_context;

// A fresh directory under the system's temporary directory, removed with everything in it.
using tfxtest::temp_dir;

using tfxtest::read_file;

// Redirects std::cout or std::cerr into a string for the lifetime of the object.
struct capture {
    std::ostream& stream;
    std::ostringstream buffer;
    std::streambuf* old;
    explicit capture(std::ostream& s) : stream(s), old(s.rdbuf(buffer.rdbuf())) {}
    ~capture() { stream.rdbuf(old); }
    std::string str() const { return buffer.str(); }
};

// The message of the E that f throws; a note if it throws nothing.
template <class E, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "<nothing thrown>";
}

const double not_a_number = std::numeric_limits<double>::quiet_NaN();
const double inf = std::numeric_limits<double>::infinity();

// ---- reading event files back: TFRecord framing with CRCs, then the few protobuf fields used

std::uint64_t le(std::string_view s) {
    std::uint64_t v = 0;
    for (std::size_t i = s.size(); i-- > 0;) v = (v << 8) | static_cast<unsigned char>(s[i]);
    return v;
}

// The records of a TFRecord file, each CRC checked with the software CRC-32C; nullopt if broken.
std::optional<std::vector<std::string>> read_records(const fs::path& p) {
    namespace ts = tfx::summary;
    const std::string blob = read_file(p);
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < blob.size()) {
        if (blob.size() - pos < 12) return std::nullopt;
        const std::string_view head(blob.data() + pos, 8);
        if (le(std::string_view(blob).substr(pos + 8, 4)) != ts::mask_crc(ts::crc32c_portable(head)))
            return std::nullopt;
        const std::uint64_t n = le(head);
        if (blob.size() - pos - 12 < n + 4) return std::nullopt;
        std::string data = blob.substr(pos + 12, n);
        if (le(std::string_view(blob).substr(pos + 12 + n, 4)) != ts::mask_crc(ts::crc32c_portable(data)))
            return std::nullopt;
        out.push_back(std::move(data));
        pos += 12 + n + 4;
    }
    return out;
}

struct pb_field {
    int number;
    std::uint64_t value;    // varint, or the bits of a fixed32/fixed64
    std::string_view bytes; // length-delimited
};

// The fields of a protobuf message (wire types 0, 1, 2 and 5).
std::vector<pb_field> pb_fields(std::string_view m) {
    std::vector<pb_field> out;
    std::size_t i = 0;
    auto varint = [&] {
        std::uint64_t v = 0;
        for (int shift = 0; i < m.size(); shift += 7) {
            const auto b = static_cast<unsigned char>(m[i++]);
            v |= std::uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        FAIL("truncated varint");
        return v;
    };
    while (i < m.size()) {
        const std::uint64_t key = varint();
        pb_field f{int(key >> 3), 0, {}};
        switch (key & 7) {
            case 0: f.value = varint(); break;
            case 1: REQUIRE(i + 8 <= m.size()); f.value = le(m.substr(i, 8)); i += 8; break;
            case 5: REQUIRE(i + 4 <= m.size()); f.value = le(m.substr(i, 4)); i += 4; break;
            case 2: {
                const std::uint64_t n = varint();
                REQUIRE(i + n <= m.size());
                f.bytes = m.substr(i, n);
                i += n;
                break;
            }
            default: FAIL("unexpected wire type " << (key & 7));
        }
        out.push_back(f);
    }
    return out;
}

struct event {
    std::int64_t step = 0;
    std::string file_version;
    std::string tag;
    std::optional<float> scalar;
    std::optional<double> histo_num, histo_sum;
};

// Event { step = 2; file_version = 3; summary = 5 { value = 1 { tag = 1; simple_value = 2; histo = 5 } } }
std::vector<event> read_events(const fs::path& file) {
    const auto records = read_records(file);
    REQUIRE(records);
    std::vector<event> out;
    for (const auto& r : *records) {
        event e;
        for (const auto& f : pb_fields(r)) {
            if (f.number == 2) e.step = std::int64_t(f.value);
            if (f.number == 3) e.file_version = std::string(f.bytes);
            if (f.number != 5) continue;
            for (const auto& v : pb_fields(f.bytes)) {
                REQUIRE(v.number == 1);
                for (const auto& x : pb_fields(v.bytes)) {
                    if (x.number == 1) e.tag = std::string(x.bytes);
                    if (x.number == 2) e.scalar = std::bit_cast<float>(std::uint32_t(x.value));
                    if (x.number != 5) continue;
                    for (const auto& h : pb_fields(x.bytes)) {
                        if (h.number == 3) e.histo_num = std::bit_cast<double>(h.value);
                        if (h.number == 4) e.histo_sum = std::bit_cast<double>(h.value);
                    }
                }
            }
        }
        out.push_back(std::move(e));
    }
    return out;
}

fs::path only_file_in(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
    REQUIRE(files.size() == 1);
    return files[0];
}

// The tfx summary tests' Python reader (protobuf, its own CRC), when python3 + protobuf + protoc exist.
std::string quoted(const std::string& s) {
    std::string r = "'";
    for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
}
int run(const std::string& cmd) {
    const int status = std::system(cmd.c_str());
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
const fs::path reader_script = fs::path(__FILE__).parent_path() / "summary" / "read_events.py";
std::optional<std::string> python_with_protobuf() {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("TFX_PYTHON")) candidates.emplace_back(env);
    candidates.emplace_back("python3");
    candidates.emplace_back("/usr/bin/python3");
    for (const auto& py : candidates)
        if (run(quoted(py) + " " + quoted(reader_script.string()) + " --check >/dev/null 2>&1") == 0) return py;
    return std::nullopt;
}

// A clock the progress bar reads, moved by the test.
struct fake_clock {
    std::shared_ptr<double> t = std::make_shared<double>(0.0);
    std::function<double()> fn() const {
        return [t = t] { return *t; };
    }
    void set(double v) const { *t = v; }
};

logs keras_epoch_logs() { return logs{{"loss", 0.1234}, {"accuracy", 0.9712}, {"val_loss", 0.2}, {"val_accuracy", 0.95}}; }

}  // namespace

// ================================================================================================ logs

TEST_CASE("logs keep insertion order, operator[] inserts 0 and overwrites in place", "[callbacks]") {
    logs l;
    CHECK(l.empty());
    l["loss"] = 0.5;
    l["accuracy"] = 0.75;
    l["val_loss"] = 0.25;
    l["loss"] = 0.4;  // keeps its first place
    CHECK(l["fresh"] == 0.0);
    REQUIRE(l.size() == 4);
    std::vector<std::pair<std::string, double>> items(l.begin(), l.end());
    CHECK(items == std::vector<std::pair<std::string, double>>{
                       {"loss", 0.4}, {"accuracy", 0.75}, {"val_loss", 0.25}, {"fresh", 0.0}});
    CHECK(l.at("accuracy") == 0.75);
    CHECK(l.contains("val_loss"));
    CHECK_FALSE(l.contains("val_accuracy"));
    CHECK(*l.find("loss") == 0.4);
    CHECK(l.find("nope") == nullptr);
    CHECK(l.keys() == "loss, accuracy, val_loss, fresh");
    l.clear();
    CHECK(l.size() == 0);
    CHECK(l.begin() == l.end());
}

TEST_CASE("logs from an initializer list keep the first place and the last value of a repeated key", "[callbacks]") {
    const logs l{{"loss", 1.0}, {"acc", 0.5}, {"loss", 2.0}};
    REQUIRE(l.size() == 2);
    CHECK(l.begin()->first == "loss");
    CHECK(l.at("loss") == 2.0);
    CHECK(l == logs{{"loss", 2.0}, {"acc", 0.5}});
    CHECK_FALSE(l == logs{{"acc", 0.5}, {"loss", 2.0}});  // order matters
}

TEST_CASE("logs.at of a missing key throws value_error naming the key and the keys present", "[callbacks]") {
    const logs l{{"loss", 1.0}, {"accuracy", 0.5}};
    CHECK_THROWS_AS(l.at("val_acc"), tfx::value_error);
    CHECK(message_of<tfx::value_error>([&] { (void)l.at("val_acc"); }) ==
          "tfx: logs: no key 'val_acc'; the keys are: loss, accuracy");
    CHECK(message_of<tfx::value_error>([] { (void)logs{}.at("loss"); }) == "tfx: logs: no key 'loss'; the logs are empty");
}

// ================================================================================ the callback holder

namespace {

struct counter {
    int epochs = 0;
    std::vector<double> losses;
    void on_epoch_end(training_context&, int, const logs& l) {
        ++epochs;
        losses.push_back(l.at("loss"));
    }
};

// Every hook, recording what it was given.
struct recorder {
    std::shared_ptr<std::vector<std::string>> calls = std::make_shared<std::vector<std::string>>();
    const training_context* ctx = nullptr;
    void on_train_begin(training_context& c) {
        ctx = &c;
        calls->push_back("train_begin epochs=" + std::to_string(c.epochs));
    }
    void on_epoch_begin(training_context&, int epoch) { calls->push_back("epoch_begin " + std::to_string(epoch)); }
    void on_train_batch_end(training_context& c, std::int64_t batch, const logs& l) {
        calls->push_back("batch_end " + std::to_string(batch) + " loss=" + std::to_string(l.at("loss")));
        if (batch == 7) c.stop_training = true;
    }
    void on_epoch_end(training_context&, int epoch, const logs& l) {
        calls->push_back("epoch_end " + std::to_string(epoch) + " n=" + std::to_string(l.size()));
    }
    void on_train_end(training_context&, const logs& l) { calls->push_back("train_end " + l.begin()->first); }
};

// Hooks as data members: empty ones are skipped, set ones called.
struct member_hooks {
    std::function<void(training_context&, int)> on_epoch_begin;
    void (*on_train_begin)(training_context&) = nullptr;
};

}  // namespace

TEST_CASE("callback forwards the hooks the type has and ignores the others", "[callbacks]") {
    training_context ctx;
    ctx.epochs = 3;
    recorder r;
    cb::callback all = r;
    all.on_train_begin(ctx);
    all.on_epoch_begin(ctx, 2);
    all.on_train_batch_end(ctx, 7, logs{{"loss", 0.5}});
    all.on_epoch_end(ctx, 2, logs{{"loss", 0.5}, {"val_loss", 0.25}});
    all.on_train_end(ctx, logs{{"val_loss", 0.25}});
    CHECK(*r.calls == std::vector<std::string>{"train_begin epochs=3", "epoch_begin 2", "batch_end 7 loss=0.500000",
                                               "epoch_end 2 n=2", "train_end val_loss"});
    CHECK(ctx.stop_training);                                // the hook got the caller's context...
    CHECK(all.target<recorder>()->ctx == &ctx);              // ...by reference

    cb::callback only_epoch_end = counter{};
    only_epoch_end.on_train_begin(ctx);  // no such hooks: nothing happens
    only_epoch_end.on_epoch_begin(ctx, 0);
    only_epoch_end.on_train_batch_end(ctx, 0, logs{});
    only_epoch_end.on_train_end(ctx, logs{});
    only_epoch_end.on_epoch_end(ctx, 0, logs{{"loss", 2.0}});
    CHECK(only_epoch_end.target<counter>()->epochs == 1);
}

TEST_CASE("callback copies are independent, target gives the held object or nullptr", "[callbacks]") {
    training_context ctx;
    cb::callback a = counter{};
    a.on_epoch_end(ctx, 0, logs{{"loss", 1.0}});
    cb::callback b = a;
    b.on_epoch_end(ctx, 1, logs{{"loss", 2.0}});
    CHECK(a.target<counter>()->losses == std::vector<double>{1.0});
    CHECK(b.target<counter>()->losses == std::vector<double>{1.0, 2.0});
    CHECK(a.target<counter>() != b.target<counter>());
    CHECK(a.target<recorder>() == nullptr);
    CHECK(a.target<cb::progbar>() == nullptr);

    a = b;  // copy assignment copies too
    b.on_epoch_end(ctx, 2, logs{{"loss", 3.0}});
    CHECK(a.target<counter>()->losses.size() == 2);
    CHECK(b.target<counter>()->losses.size() == 3);

    const cb::callback& ca = a;
    REQUIRE(ca.target<counter>() != nullptr);
    CHECK(ca.target<counter>()->epochs == 2);

    cb::callback moved = std::move(a);
    CHECK(moved.target<counter>()->epochs == 2);
    CHECK(a.target<counter>() == nullptr);  // NOLINT: a moved-from callback is empty...
    a.on_epoch_end(ctx, 0, logs{{"loss", 1.0}});  // ...and does nothing
}

TEST_CASE("callback of std::ref(x) runs the hooks on x, and so do its copies", "[callbacks]") {
    training_context ctx;
    counter c;
    cb::callback r = std::ref(c);
    cb::callback copy = r;
    r.on_epoch_end(ctx, 0, logs{{"loss", 1.0}});
    copy.on_epoch_end(ctx, 1, logs{{"loss", 2.0}});
    CHECK(c.losses == std::vector<double>{1.0, 2.0});
    CHECK(r.target<counter>() == &c);
    CHECK(&r.target<std::reference_wrapper<counter>>()->get() == &c);
}

TEST_CASE("hooks that are data members are called when set and skipped when empty", "[callbacks]") {
    training_context ctx;
    std::vector<int> epochs;
    cb::callback empty = member_hooks{};
    empty.on_epoch_begin(ctx, 0);  // an empty std::function would throw bad_function_call if called
    empty.on_train_begin(ctx);     // a null function pointer would crash
    cb::callback set = member_hooks{[&](training_context&, int e) { epochs.push_back(e); },
                                    [](training_context& c) { c.epochs = 42; }};
    set.on_epoch_begin(ctx, 5);
    set.on_train_begin(ctx);
    CHECK(epochs == std::vector<int>{5});
    CHECK(ctx.epochs == 42);
}

TEST_CASE("a vector of callbacks is brace-initialized from designated initializers", "[callbacks]") {
    std::vector<cb::callback> list = {cb::tensorboard{"logs"}, cb::early_stopping{.patience = 3},
                                      cb::csv_logger{.filename = "t.csv", .separator = ';'}};
    REQUIRE(list.size() == 3);
    REQUIRE(list[0].target<cb::tensorboard>() != nullptr);
    CHECK(list[0].target<cb::tensorboard>()->log_dir == "logs");
    CHECK(list[0].target<cb::tensorboard>()->histogram_freq == 0);
    REQUIRE(list[1].target<cb::early_stopping>() != nullptr);
    CHECK(list[1].target<cb::early_stopping>()->patience == 3);
    CHECK(list[1].target<cb::early_stopping>()->monitor == "val_loss");
    CHECK(list[2].target<cb::csv_logger>()->separator == ';');
    CHECK(list[2].target<cb::early_stopping>() == nullptr);
}

// ===================================================================================== early_stopping

namespace {

// Runs `es` over epochs whose logs are {loss: 1, <key>: values[e]} until a callback stops training;
// returns how many epochs ran. `before_epoch_end(e)` runs before each on_epoch_end.
int run_epochs(cb::early_stopping& es, training_context& ctx, const std::string& key, const std::vector<double>& values,
               const std::function<void(int)>& before_epoch_end = {}) {
    ctx.stop_training = false;
    ctx.epochs = int(values.size());
    es.on_train_begin(ctx);
    int e = 0;
    logs last;
    while (e < int(values.size())) {
        last = logs{{"loss", 1.0}};
        last[key] = values[std::size_t(e)];
        if (before_epoch_end) before_epoch_end(e);
        es.on_epoch_end(ctx, e, last);
        ++e;
        if (ctx.stop_training) break;
    }
    es.on_train_end(ctx, last);
    return e;
}

}  // namespace

TEST_CASE("early_stopping stops after `patience` epochs without improvement", "[callbacks]") {
    training_context ctx;
    cb::early_stopping es{.patience = 2};
    // best 1.0, then 0.9 (best), 0.95 (wait 1), 0.92 (wait 2: stop)
    CHECK(run_epochs(es, ctx, "val_loss", {1.0, 0.9, 0.95, 0.92, 0.5}) == 4);
    CHECK(ctx.stop_training);
    CHECK(es.stopped_epoch == 3);
    CHECK(es.best == 0.9);
    CHECK(es.best_epoch == 1);
    CHECK(es.wait == 2);

    // The same object again: on_train_begin resets it.
    CHECK(run_epochs(es, ctx, "val_loss", {3.0, 2.0, 1.0}) == 3);
    CHECK_FALSE(ctx.stop_training);
    CHECK(es.stopped_epoch == 0);
    CHECK(es.best == 1.0);
    CHECK(es.wait == 0);
}

TEST_CASE("early_stopping with patience 0 stops at the first epoch that does not improve", "[callbacks]") {
    training_context ctx;
    cb::early_stopping es;  // val_loss, patience 0
    CHECK(run_epochs(es, ctx, "val_loss", {1.0, 1.0, 0.5}) == 2);  // equal is no improvement
    CHECK(es.stopped_epoch == 1);
    CHECK(run_epochs(es, ctx, "val_loss", {1.0, 0.99, 0.98}) == 3);
    CHECK(es.stopped_epoch == 0);
}

TEST_CASE("early_stopping counts an epoch as improving only when it beats the best by min_delta", "[callbacks]") {
    training_context ctx;
    for (double delta : {0.1, -0.1}) {  // the sign is ignored, as in Keras
        cb::early_stopping es{.min_delta = delta, .patience = 1};
        CHECK(run_epochs(es, ctx, "val_loss", {1.0, 0.95}) == 2);  // 0.95 + 0.1 is not below 1.0
        CHECK(es.stopped_epoch == 1);
        CHECK(run_epochs(es, ctx, "val_loss", {1.0, 0.85, 0.8}) == 3);  // 0.85 + 0.1 < 1.0; 0.8 + 0.1 > 0.85
        CHECK(es.stopped_epoch == 2);
        CHECK(es.best == 0.85);
    }
    cb::early_stopping up{.monitor = "val_accuracy", .min_delta = 0.1, .patience = 1};
    CHECK(run_epochs(up, ctx, "val_accuracy", {0.5, 0.65, 0.7}) == 3);  // 0.65 - 0.1 > 0.5; 0.7 - 0.1 < 0.65
    CHECK(up.stopped_epoch == 2);
}

TEST_CASE("early_stopping mode auto maximizes acc, auc, precision and recall and minimizes the rest", "[callbacks]") {
    training_context ctx;
    // Rising values with patience 0: a maximized metric keeps going, a minimized one stops at epoch 1.
    for (std::string name : {"accuracy", "val_accuracy", "val_sparse_categorical_accuracy", "auc", "val_auc",
                             "precision", "val_recall", "acc"}) {
        cb::early_stopping es{.monitor = name};
        INFO(name);
        CHECK(run_epochs(es, ctx, name, {0.1, 0.2, 0.3}) == 3);
    }
    for (std::string name : {"loss", "val_loss", "mse", "val_mean_absolute_error"}) {
        cb::early_stopping es{.monitor = name};
        INFO(name);
        CHECK(run_epochs(es, ctx, name, {0.1, 0.2, 0.3}) == 2);
    }
    // An explicit mode wins over the name.
    cb::early_stopping min_acc{.monitor = "val_accuracy", .mode = "min"};
    CHECK(run_epochs(min_acc, ctx, "val_accuracy", {0.1, 0.2, 0.3}) == 2);
    cb::early_stopping max_loss{.monitor = "loss", .mode = "max"};
    CHECK(run_epochs(max_loss, ctx, "loss", {0.1, 0.2, 0.3}) == 3);
    CHECK(max_loss.best == 0.3);

    cb::early_stopping acc{.monitor = "val_accuracy", .patience = 2};
    CHECK(run_epochs(acc, ctx, "val_accuracy", {0.5, 0.6, 0.55, 0.58, 0.9}) == 4);
    CHECK(acc.best == 0.6);
}

TEST_CASE("early_stopping rejects an unknown mode with value_error naming it", "[callbacks]") {
    training_context ctx;
    cb::early_stopping es{.mode = "upward"};
    es.wait = 7;
    CHECK_THROWS_AS(es.on_train_begin(ctx), tfx::value_error);
    CHECK(message_of<tfx::value_error>([&] { es.on_train_begin(ctx); }) ==
          "tfx: early_stopping: mode must be \"auto\", \"min\" or \"max\", got \"upward\"");
    CHECK(es.wait == 7);  // nothing changed
}

TEST_CASE("early_stopping warns once on std::cerr when the monitored metric is missing, and goes on", "[callbacks]") {
    training_context ctx;
    cb::early_stopping es;  // val_loss
    capture err(std::cerr);
    CHECK(run_epochs(es, ctx, "loss", {1.0, 2.0, 3.0}) == 3);  // the logs have only loss
    CHECK_FALSE(ctx.stop_training);
    CHECK(err.str() == "tfx: warning: early_stopping monitors 'val_loss', which is not in the logs (keys: loss); "
                       "skipping it\n");
}

TEST_CASE("early_stopping ignores the epochs before start_from_epoch", "[callbacks]") {
    training_context ctx;
    cb::early_stopping es{.start_from_epoch = 2};
    CHECK(run_epochs(es, ctx, "val_loss", {1.0, 2.0, 3.0, 4.0}) == 4);  // best is 3.0 (epoch 2); 4.0 stops
    CHECK(es.stopped_epoch == 3);
    CHECK(es.best == 3.0);
    cb::early_stopping now;
    CHECK(run_epochs(now, ctx, "val_loss", {1.0, 2.0, 3.0, 4.0}) == 2);
}

TEST_CASE("early_stopping with a baseline keeps counting until the baseline is beaten", "[callbacks]") {
    training_context ctx;
    cb::early_stopping with{.patience = 2, .baseline = 0.5};
    // 0.8 improves on inf but not on the baseline: the count stays at 1; 0.9 makes it 2: stop.
    CHECK(run_epochs(with, ctx, "val_loss", {0.8, 0.9, 0.85}) == 2);
    CHECK(with.stopped_epoch == 1);
    cb::early_stopping without{.patience = 2};
    CHECK(run_epochs(without, ctx, "val_loss", {0.8, 0.9, 0.85}) == 3);
    CHECK(without.stopped_epoch == 2);
    // Beating the baseline resets the count.
    cb::early_stopping beaten{.patience = 2, .baseline = 0.5};
    CHECK(run_epochs(beaten, ctx, "val_loss", {0.4, 0.45, 0.42, 0.41}) == 3);
    CHECK(beaten.stopped_epoch == 2);
}

TEST_CASE("early_stopping with restore_best_weights sets the snapshot of the best epoch at the end", "[callbacks]") {
    training_context ctx;
    std::vector<double> weights;  // the "model"
    std::vector<std::vector<double>> restored;
    ctx.get_weights = [&] { return std::any(weights); };
    ctx.set_weights = [&](const std::any& w) { restored.push_back(std::any_cast<std::vector<double>>(w)); };
    auto train = [&](int e) { weights = {double(e), 10.0 * e}; };

    cb::early_stopping es{.patience = 2, .restore_best_weights = true, .verbose = 1};
    {
        capture out(std::cout);
        CHECK(run_epochs(es, ctx, "val_loss", {1.0, 0.5, 0.7, 0.8, 0.1}, train) == 4);
        CHECK(out.str() == "Epoch 4: early stopping\nRestoring model weights from the end of the best epoch: 2.\n");
    }
    CHECK(es.stopped_epoch == 3);
    CHECK(es.best_epoch == 1);
    CHECK(restored == std::vector<std::vector<double>>{{1.0, 10.0}});

    // Training that runs to the end restores the best epoch too (as Keras 3 does).
    restored.clear();
    es.verbose = 0;
    CHECK(run_epochs(es, ctx, "val_loss", {1.0, 0.5, 0.7}, train) == 3);
    CHECK(restored == std::vector<std::vector<double>>{{1.0, 10.0}});

    // Without restore_best_weights nothing is restored.
    restored.clear();
    cb::early_stopping plain{.patience = 2};
    run_epochs(plain, ctx, "val_loss", {1.0, 0.5, 0.7, 0.8}, train);
    CHECK(restored.empty());
}

TEST_CASE("early_stopping with restore_best_weights needs get_weights and set_weights", "[callbacks]") {
    training_context ctx;
    cb::early_stopping es{.restore_best_weights = true};
    CHECK(message_of<tfx::value_error>([&] { es.on_train_begin(ctx); }) ==
          "tfx: early_stopping: restore_best_weights needs the training context's get_weights and set_weights");
}

// =================================================================================== model_checkpoint

namespace {

struct saver {
    std::vector<std::string> saved;
    training_context ctx;
    saver() {
        ctx.save_checkpoint = [this](const std::string& p) {
            saved.push_back(p);
            std::ofstream(p) << "checkpoint";
        };
    }
};

}  // namespace

TEST_CASE("model_checkpoint saves every epoch to filepath with {epoch} 1-based, creating directories", "[callbacks]") {
    temp_dir tmp;
    saver s;
    const fs::path dir = tmp.path / "run" / "ckpt";
    cb::model_checkpoint mc{(dir / "ckpt-{epoch:02d}.npz").string()};
    mc.on_train_begin(s.ctx);
    for (int e = 0; e < 3; ++e) mc.on_epoch_end(s.ctx, e, logs{{"loss", 0.5}});
    CHECK(s.saved == std::vector<std::string>{(dir / "ckpt-01.npz").string(), (dir / "ckpt-02.npz").string(),
                                              (dir / "ckpt-03.npz").string()});
    CHECK(read_file(dir / "ckpt-02.npz") == "checkpoint");
}

TEST_CASE("model_checkpoint formats filepath fields as Python's str.format", "[callbacks]") {
    const logs l{{"loss", 0.125}, {"val_loss", 0.256}};
    auto path_of = [&](const std::string& pattern, int epoch) {
        saver s;
        cb::model_checkpoint mc{pattern};
        mc.on_train_begin(s.ctx);
        mc.on_epoch_end(s.ctx, epoch, l);
        REQUIRE(s.saved.size() == 1);
        fs::remove(s.saved[0]);
        return s.saved[0];
    };
    temp_dir tmp;
    const std::string d = tmp.path.string() + "/";
    CHECK(path_of(d + "{epoch}", 9) == d + "10");
    CHECK(path_of(d + "w-{epoch:03d}-{val_loss:.2f}.npz", 0) == d + "w-001-0.26.npz");
    CHECK(path_of(d + "{loss}-{epoch:3}", 1) == d + "0.125-  2");
    CHECK(path_of(d + "{val_loss:.1e}_{loss:08.3f}", 1) == d + "2.6e-01_0000.125");
    CHECK(path_of(d + "{{epoch}}-{epoch}", 4) == d + "{epoch}-5");
    CHECK(path_of(d + "no-fields.npz", 4) == d + "no-fields.npz");

    saver s;
    auto error_of = [&](const std::string& pattern) {
        cb::model_checkpoint mc{pattern};
        mc.on_train_begin(s.ctx);
        return message_of<tfx::value_error>([&] { mc.on_epoch_end(s.ctx, 0, l); });
    };
    CHECK(error_of("ckpt-{val_los}.npz") ==
          "tfx: model_checkpoint: filepath 'ckpt-{val_los}.npz' names 'val_los', which is neither epoch nor a key "
          "of the logs (keys: loss, val_loss)");
    CHECK(error_of("ckpt-{epoch") ==
          "tfx: model_checkpoint: filepath 'ckpt-{epoch' has an unclosed '{' (write '{{' for a brace)");
    CHECK(error_of("ckpt-}") ==
          "tfx: model_checkpoint: filepath 'ckpt-}' has a single '}' (write '}}' for a brace)");
    CHECK(error_of("ckpt-{epoch:>3}") ==
          "tfx: model_checkpoint: filepath 'ckpt-{epoch:>3}' has the format spec ':>3', which tfx does not support "
          "(use [0][width][.precision][d|f|e|g])");
    CHECK(error_of("ckpt-{loss:d}") ==
          "tfx: model_checkpoint: filepath 'ckpt-{loss:d}' formats 'loss' as an integer; it is a real number (use f, "
          "e or g)");
    CHECK(s.saved.empty());
}

TEST_CASE("model_checkpoint with save_best_only saves only when the monitored metric improves", "[callbacks]") {
    temp_dir tmp;
    const std::string pattern = (tmp.path / "best-{epoch}.npz").string();
    auto name = [&](int e) { return (tmp.path / ("best-" + std::to_string(e) + ".npz")).string(); };
    {
        saver s;
        cb::model_checkpoint mc{.filepath = pattern, .save_best_only = true, .verbose = 1};
        mc.on_train_begin(s.ctx);
        capture out(std::cout);
        for (int e = 0; double v : {0.5, 0.6, 0.4, 0.4}) mc.on_epoch_end(s.ctx, e++, logs{{"loss", 1.0}, {"val_loss", v}});
        CHECK(s.saved == std::vector<std::string>{name(1), name(3)});  // 0.4 again is not an improvement
        CHECK(mc.best == 0.4);
        CHECK(out.str() == "\nEpoch 1: val_loss improved from inf to 0.50000, saving model to " + name(1) +
                               "\n\nEpoch 2: val_loss did not improve from 0.50000\n"
                               "\nEpoch 3: val_loss improved from 0.50000 to 0.40000, saving model to " +
                               name(3) + "\n\nEpoch 4: val_loss did not improve from 0.40000\n");
    }
    {
        saver s;
        cb::model_checkpoint mc{.filepath = pattern, .monitor = "val_accuracy", .save_best_only = true};
        mc.on_train_begin(s.ctx);
        for (int e = 0; double v : {0.5, 0.6, 0.55}) mc.on_epoch_end(s.ctx, e++, logs{{"val_accuracy", v}});
        CHECK(s.saved == std::vector<std::string>{name(1), name(2)});
    }
    {
        saver s;
        cb::model_checkpoint mc{.filepath = pattern, .save_best_only = true, .initial_value_threshold = 0.45};
        mc.on_train_begin(s.ctx);
        for (int e = 0; double v : {0.5, 0.4}) mc.on_epoch_end(s.ctx, e++, logs{{"val_loss", v}});
        CHECK(s.saved == std::vector<std::string>{name(2)});
    }
    {
        saver s;  // the metric is missing: one warning, no save
        cb::model_checkpoint mc{.filepath = pattern, .save_best_only = true};
        mc.on_train_begin(s.ctx);
        capture err(std::cerr);
        for (int e = 0; e < 2; ++e) mc.on_epoch_end(s.ctx, e, logs{{"loss", 1.0}});
        CHECK(s.saved.empty());
        CHECK(err.str() == "tfx: warning: model_checkpoint monitors 'val_loss', which is not in the logs (keys: "
                           "loss); skipping it\n");
    }
}

TEST_CASE("model_checkpoint reports a missing save_checkpoint, an empty filepath and a bad mode", "[callbacks]") {
    training_context no_save;
    CHECK(message_of<tfx::value_error>([&] { cb::model_checkpoint{"x.npz"}.on_train_begin(no_save); }) ==
          "tfx: model_checkpoint: the training context has no save_checkpoint");
    saver s;
    CHECK(message_of<tfx::value_error>([&] { cb::model_checkpoint{}.on_train_begin(s.ctx); }) ==
          "tfx: model_checkpoint: filepath is empty");
    CHECK(message_of<tfx::value_error>([&] {
              cb::model_checkpoint{.filepath = "x.npz", .mode = "best"}.on_train_begin(s.ctx);
          }) == "tfx: model_checkpoint: mode must be \"auto\", \"min\" or \"max\", got \"best\"");
}

// ========================================================================================= csv_logger

TEST_CASE("csv_logger writes a sorted header and one flushed row per epoch, values as Python prints them",
          "[callbacks]") {
    temp_dir tmp;
    const fs::path file = tmp.path / "training.csv";
    training_context ctx;
    cb::csv_logger csv{file.string()};
    csv.on_train_begin(ctx);
    csv.on_epoch_end(ctx, 0, logs{{"loss", 0.25}, {"accuracy", 0.5}, {"val_loss", 0.1}, {"val_accuracy", 1.0}});
    // flushed before the end of training
    CHECK(read_file(file) == "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,0.25,1.0,0.1\n");
    csv.on_epoch_end(ctx, 1, logs{{"loss", 1e-05}, {"accuracy", 0.0001}, {"val_loss", 123456.5}, {"val_accuracy", 1e16}});
    // An epoch without the val_ keys gets NA; a key the first epoch did not have is not written.
    csv.on_epoch_end(ctx, 2, logs{{"loss", not_a_number}, {"accuracy", -0.75}, {"lr", 0.01}});
    csv.on_train_end(ctx, logs{});
    CHECK(read_file(file) ==
          "epoch,accuracy,loss,val_accuracy,val_loss\n"
          "0,0.5,0.25,1.0,0.1\n"
          "1,0.0001,1e-05,1e+16,123456.5\n"
          "2,-0.75,nan,NA,NA\n");
}

TEST_CASE("csv_logger uses the separator, and quotes a header field that holds it", "[callbacks]") {
    temp_dir tmp;
    const fs::path file = tmp.path / "t.csv";
    training_context ctx;
    cb::csv_logger csv{.filename = file.string(), .separator = ';'};
    csv.on_train_begin(ctx);
    csv.on_epoch_end(ctx, 0, logs{{"loss", 2.0}, {"a;b", 3.0}});
    csv.on_train_end(ctx, logs{});
    CHECK(read_file(file) == "epoch;\"a;b\";loss\n0;3.0;2.0\n");
}

TEST_CASE("csv_logger overwrites, or with append adds rows without a second header", "[callbacks]") {
    temp_dir tmp;
    const fs::path file = tmp.path / "t.csv";
    training_context ctx;
    auto fit = [&](bool append, std::vector<double> losses) {
        cb::csv_logger csv{.filename = file.string(), .append = append};
        csv.on_train_begin(ctx);
        for (int e = 0; e < int(losses.size()); ++e) csv.on_epoch_end(ctx, e, logs{{"loss", losses[std::size_t(e)]}});
        csv.on_train_end(ctx, logs{});
    };
    fit(true, {0.5});  // append to a file that does not exist: header
    CHECK(read_file(file) == "epoch,loss\n0,0.5\n");
    fit(true, {0.25, 0.125});
    CHECK(read_file(file) == "epoch,loss\n0,0.5\n0,0.25\n1,0.125\n");
    fit(false, {2.0});
    CHECK(read_file(file) == "epoch,loss\n0,2.0\n");
    std::ofstream(file, std::ios::trunc).close();  // an empty file gets the header
    fit(true, {3.0});
    CHECK(read_file(file) == "epoch,loss\n0,3.0\n");
}

TEST_CASE("csv_logger throws io_error naming a file it cannot open", "[callbacks]") {
    temp_dir tmp;
    training_context ctx;
    const std::string bad = (tmp.path / "no" / "such" / "dir.csv").string();
    cb::csv_logger csv{bad};
    const std::string msg = message_of<tfx::io_error>([&] { csv.on_train_begin(ctx); });
    CHECK(msg == "tfx: csv_logger: cannot open '" + bad + "' for writing: No such file or directory");
}

// ======================================================================================== tensorboard

TEST_CASE("tensorboard writes epoch scalars to train/ and validation/ and weight histograms", "[callbacks]") {
    temp_dir tmp;
    const fs::path dir = tmp.path / "logs";
    training_context ctx;
    ctx.epochs = 3;
    std::vector<std::int64_t> histogram_steps;
    ctx.write_histograms = [&](tfx::summary::file_writer& w, std::int64_t step) {
        histogram_steps.push_back(step);
        w.histogram("dense/kernel", {1.0, 2.0, 4.0 + double(step)}, step);
    };
    cb::callback tb = cb::tensorboard{.log_dir = dir.string(), .histogram_freq = 2};
    tb.on_train_begin(ctx);
    REQUIRE(fs::is_directory(dir / "train"));
    CHECK_FALSE(fs::exists(dir / "validation"));  // created at the first val_ metric
    const fs::path train = only_file_in(dir / "train");
    CHECK(train.filename().string().starts_with("events.out.tfevents."));

    const double loss[3] = {0.5, 0.25, 0.125}, acc[3] = {0.5, 0.75, 0.875};
    for (int e = 0; e < 3; ++e) {
        tb.on_epoch_begin(ctx, e);
        tb.on_train_batch_end(ctx, 0, logs{{"loss", 9.0}});  // not written: update_freq is per epoch
        tb.on_epoch_end(ctx, e,
                        logs{{"loss", loss[e]}, {"accuracy", acc[e]}, {"val_loss", 2 * loss[e]}, {"val_accuracy", acc[e] / 2}});
        if (e == 0) {  // flushed at the end of each epoch
            CHECK(read_events(train).size() == 4);
            CHECK(read_events(only_file_in(dir / "validation")).size() == 3);
        }
    }
    tb.on_train_end(ctx, logs{});
    CHECK(histogram_steps == std::vector<std::int64_t>{0, 2});

    const auto t = read_events(train);
    REQUIRE(t.size() == 1 + 2 + 1 + 2 + 2 + 1);
    CHECK(t[0].file_version == "brain.Event:2");
    auto scalar = [](const event& ev, const char* tag, std::int64_t step, double value) {
        CHECK(ev.tag == tag);
        CHECK(ev.step == step);
        REQUIRE(ev.scalar);
        CHECK(*ev.scalar == float(value));
    };
    auto histogram = [](const event& ev, std::int64_t step, double sum) {
        CHECK(ev.tag == "dense/kernel");
        CHECK(ev.step == step);
        CHECK(ev.histo_num == 3.0);
        CHECK(ev.histo_sum == sum);
    };
    scalar(t[1], "epoch_loss", 0, 0.5);
    scalar(t[2], "epoch_accuracy", 0, 0.5);
    histogram(t[3], 0, 7.0);
    scalar(t[4], "epoch_loss", 1, 0.25);
    scalar(t[5], "epoch_accuracy", 1, 0.75);
    scalar(t[6], "epoch_loss", 2, 0.125);
    scalar(t[7], "epoch_accuracy", 2, 0.875);
    histogram(t[8], 2, 9.0);

    const auto v = read_events(only_file_in(dir / "validation"));
    REQUIRE(v.size() == 7);
    CHECK(v[0].file_version == "brain.Event:2");
    for (int e = 0; e < 3; ++e) {
        scalar(v[std::size_t(1 + 2 * e)], "epoch_loss", e, 2 * loss[e]);
        scalar(v[std::size_t(2 + 2 * e)], "epoch_accuracy", e, acc[e] / 2);
    }

    // The same files through the summary tests' reader (Python protobuf), when it can run.
    if (const auto python = python_with_protobuf()) {
        const fs::path out = tmp.path / "reader.out";
        REQUIRE(run(quoted(*python) + " " + quoted(reader_script.string()) + " " + quoted(train.string()) + " >" +
                    quoted(out.string())) == 0);
        const std::string text = read_file(out);
        CHECK(text.find("scalar\t0\tepoch_loss\t0.5\n") != std::string::npos);
        CHECK(text.find("scalar\t2\tepoch_accuracy\t0.875\n") != std::string::npos);
        CHECK(text.find("histo\t2\tdense/kernel\t1.0\t6.0\t3.0\t9.0\t") != std::string::npos);
    } else {
        WARN("Python cross-check skipped: needs python3 with protobuf and protoc (see docs/summary.md)");
    }
}

TEST_CASE("tensorboard writes no validation directory without val_ metrics, and batch scalars with update_freq",
          "[callbacks]") {
    temp_dir tmp;
    training_context ctx;
    cb::tensorboard tb{.log_dir = tmp.path.string(), .update_freq = 2};
    tb.on_train_begin(ctx);
    for (int e = 0; e < 2; ++e) {
        for (int b = 0; b < 3; ++b) tb.on_train_batch_end(ctx, b, logs{{"loss", 10.0 * e + b}});
        tb.on_epoch_end(ctx, e, logs{{"loss", 1.0 + e}});
    }
    tb.on_train_end(ctx, logs{});
    CHECK_FALSE(fs::exists(tmp.path / "validation"));
    const auto t = read_events(only_file_in(tmp.path / "train"));
    // global batches 1..6: batch_loss at 2 (e0 b1), 4 (e1 b0), 6 (e1 b2)
    std::vector<std::tuple<std::string, std::int64_t, float>> got;
    for (std::size_t i = 1; i < t.size(); ++i) got.emplace_back(t[i].tag, t[i].step, t[i].scalar.value_or(-1.f));
    CHECK(got == std::vector<std::tuple<std::string, std::int64_t, float>>{{"batch_loss", 2, 1.f},
                                                                           {"epoch_loss", 0, 1.f},
                                                                           {"batch_loss", 4, 10.f},
                                                                           {"batch_loss", 6, 12.f},
                                                                           {"epoch_loss", 1, 2.f}});
}

TEST_CASE("tensorboard reports a log_dir it cannot create as io_error naming it", "[callbacks]") {
    temp_dir tmp;
    std::ofstream(tmp.path / "file") << "x";
    training_context ctx;
    cb::tensorboard tb{(tmp.path / "file" / "logs").string()};
    const std::string msg = message_of<tfx::io_error>([&] { tb.on_train_begin(ctx); });
    CHECK(msg.find((tmp.path / "file" / "logs" / "train").string()) != std::string::npos);
    CHECK(message_of<tfx::value_error>([&] { cb::tensorboard{.histogram_freq = -1}.on_train_begin(ctx); }) ==
          "tfx: tensorboard: histogram_freq and update_freq must be >= 0, got -1 and 0");
}

// =================================================================================== terminate_on_nan

TEST_CASE("terminate_on_nan stops training at a NaN or infinite batch loss and says so", "[callbacks]") {
    for (double bad : {not_a_number, inf, -inf}) {
        training_context ctx;
        cb::callback t = cb::terminate_on_nan{};
        capture out(std::cout);
        t.on_train_batch_end(ctx, 0, logs{{"loss", 0.5}});
        t.on_train_batch_end(ctx, 1, logs{{"accuracy", not_a_number}});  // no loss: nothing to check
        t.on_train_batch_end(ctx, 2, logs{{"loss", 1e300}});
        CHECK_FALSE(ctx.stop_training);
        CHECK(out.str().empty());
        t.on_train_batch_end(ctx, 3, logs{{"loss", bad}, {"accuracy", 0.5}});
        CHECK(ctx.stop_training);
        CHECK(out.str() == "Batch 3: Invalid loss, terminating training\n");
    }
}

// ============================================================================================ progbar

TEST_CASE("progbar verbose 2 prints the epoch header and one final line per epoch", "[callbacks]") {
    std::ostringstream os;
    fake_clock clock;
    cb::callback pb = cb::progbar{.out = &os, .verbose = 2, .clock = clock.fn()};
    training_context ctx;
    ctx.epochs = 20;
    ctx.steps = 45;
    pb.on_train_begin(ctx);
    clock.set(0.0);
    pb.on_epoch_begin(ctx, 2);
    for (int b = 0; b < 45; ++b) {
        clock.set(0.002 * (b + 1));
        pb.on_train_batch_end(ctx, b, logs{{"loss", 0.5}, {"accuracy", 0.5}});
    }
    pb.on_epoch_end(ctx, 2, keras_epoch_logs());
    CHECK(os.str() == "Epoch 3/20\n"
                      "45/45 - 0s - loss: 0.1234 - accuracy: 0.9712 - val_loss: 0.2000 - val_accuracy: 0.9500 - "
                      "2ms/step\n");

    // Seconds, tiny, huge and NaN values; the step time in seconds.
    os.str("");
    clock.set(10.0);
    pb.on_epoch_begin(ctx, 3);
    for (int b = 0; b < 45; ++b) {
        clock.set(10.0 + 1.6 * (b + 1));
        pb.on_train_batch_end(ctx, b, logs{{"loss", 0.5}});
    }
    pb.on_epoch_end(ctx, 3, logs{{"loss", 0.0005}, {"accuracy", 1.0}, {"mse", 0.0}, {"val_loss", 2.5e9}, {"val_mse", -3.0},
                                  {"val_accuracy", not_a_number}});
    CHECK(os.str() == "Epoch 4/20\n"
                      "45/45 - 72s - loss: 5.0000e-04 - accuracy: 1.0000 - mse: 0.0000e+00 - val_loss: 2.5000e+09 - "
                      "val_mse: -3.0000 - val_accuracy: nan - 2s/step\n");
}

TEST_CASE("progbar verbose 1 on a stream that is not a terminal prints only the final line", "[callbacks]") {
    std::ostringstream os;
    fake_clock clock;
    cb::progbar pb{.out = &os, .clock = clock.fn()};  // verbose 1, not a tty
    training_context ctx;
    ctx.epochs = 1;  // one epoch: no "Epoch 1/1" header, as Keras
    ctx.steps = 4;
    pb.on_train_begin(ctx);
    pb.on_epoch_begin(ctx, 0);
    for (int b = 0; b < 4; ++b) {
        clock.set(0.0002 * (b + 1));
        pb.on_train_batch_end(ctx, b, logs{{"loss", 1.0}});
    }
    pb.on_epoch_end(ctx, 0, logs{{"loss", 0.75}});
    CHECK(os.str() == "4/4 - 0s - loss: 0.7500 - 200us/step\n");
}

TEST_CASE("progbar verbose 1 on a terminal redraws the bar (carriage return) at most every interval", "[callbacks]") {
    std::ostringstream os;
    fake_clock clock;
    cb::progbar pb{.out = &os, .force_tty = true, .clock = clock.fn()};
    training_context ctx;
    ctx.epochs = 2;
    ctx.steps = 5;
    pb.on_train_begin(ctx);
    clock.set(0.0);
    pb.on_epoch_begin(ctx, 0);
    const double times[5] = {0.01, 0.03, 0.07, 0.08, 0.2};  // draws at 0.01, 0.07, 0.2 (50 ms apart or more)
    const double losses[5] = {12.5, 11.0, 9.25, 9.0, 0.2};
    std::vector<std::string> after_batch;
    for (int b = 0; b < 5; ++b) {
        clock.set(times[b]);
        pb.on_train_batch_end(ctx, b, logs{{"loss", losses[b]}});
        after_batch.push_back(os.str());
    }
    CHECK(after_batch[1] == after_batch[0]);  // 20 ms after the last draw: not redrawn
    CHECK(after_batch[3] == after_batch[2]);
    clock.set(0.25);
    pb.on_epoch_end(ctx, 0, logs{{"loss", 0.2}, {"val_loss", 0.3}});
    // Batch 1: ETA from the first step; batch 3: 3/5 done, one space blanks the end of the longer line
    // before; batch 5: full bar, ETA 0; the end of the epoch: elapsed, time per step leaving out the
    // first step ((0.25 - 0.01) / 4 = 60 ms), and the epoch's logs.
    CHECK(os.str() == "Epoch 1/2\n"
                      "\r1/5 [=====>........................] - ETA: 0s - loss: 12.5000"
                      "\r3/5 [=================>............] - ETA: 0s - loss: 9.2500 "
                      "\r5/5 [==============================] - ETA: 0s - loss: 0.2000"
                      "\r5/5 [==============================] - 0s 60ms/step - loss: 0.2000 - val_loss: 0.3000\n");
    // The final line is what a Keras user sees after the epoch.
    const std::string all = os.str();
    const std::string final_line = all.substr(all.rfind('\r') + 1);
    CHECK(final_line == "5/5 [==============================] - 0s 60ms/step - loss: 0.2000 - val_loss: 0.3000\n");
}

TEST_CASE("progbar shows the ETA in seconds, minutes or hours", "[callbacks]") {
    std::ostringstream os;
    fake_clock clock;
    cb::progbar pb{.out = &os, .force_tty = true, .clock = clock.fn()};
    training_context ctx;
    ctx.steps = 10000;
    pb.on_train_begin(ctx);
    pb.on_epoch_begin(ctx, 0);
    clock.set(1.0);  // first step: 1 s; 9999 left
    pb.on_train_batch_end(ctx, 0, logs{{"loss", 1.0}});
    CHECK(os.str() == "\r    1/10000 [..............................] - ETA: 2:46:39 - loss: 1.0000");
    clock.set(3.0);  // 2 s per step after the first; 9998 left
    pb.on_train_batch_end(ctx, 1, logs{{"loss", 1.0}});
    CHECK(os.str().ends_with("\r    2/10000 [..............................] - ETA: 5:33:16 - loss: 1.0000"));

    std::ostringstream os2;
    cb::progbar minutes{.out = &os2, .force_tty = true, .clock = clock.fn()};
    ctx.steps = 100;
    minutes.on_train_begin(ctx);
    clock.set(0.0);
    minutes.on_epoch_begin(ctx, 0);
    clock.set(1.0);  // 1 s per step; 99 left: 1:39
    minutes.on_train_batch_end(ctx, 0, logs{{"loss", 1.0}});
    clock.set(71.0);  // 70 s per step after the first... 98 steps left: 6860 s
    minutes.on_train_batch_end(ctx, 1, logs{{"loss", 1.0}});
    clock.set(71.5);  // (71.5 - 1) / 2 = 35.25 s per step, 97 left: 3419.25 s = 56:59
    minutes.on_train_batch_end(ctx, 2, logs{{"loss", 1.0}});
    CHECK(os2.str() == "\r  1/100 [..............................] - ETA: 1:39 - loss: 1.0000"
                       "\r  2/100 [..............................] - ETA: 1:54:20 - loss: 1.0000"
                       "\r  3/100 [..............................] - ETA: 56:59 - loss: 1.0000  ");
}

TEST_CASE("progbar with an unknown step count shows N/Unknown, then the count it saw", "[callbacks]") {
    std::ostringstream os;
    fake_clock clock;
    cb::progbar pb{.out = &os, .force_tty = true, .clock = clock.fn()};
    training_context ctx;  // steps -1, one epoch
    pb.on_train_begin(ctx);
    pb.on_epoch_begin(ctx, 0);
    clock.set(0.25);
    pb.on_train_batch_end(ctx, 0, logs{{"loss", 1.0}});
    clock.set(0.45);
    pb.on_train_batch_end(ctx, 1, logs{{"loss", 0.75}});
    clock.set(0.6);
    pb.on_epoch_end(ctx, 0, logs{{"loss", 0.6}});
    CHECK(os.str() == "\r      1/Unknown - 0s 250ms/step - loss: 1.0000"
                      "\r      2/Unknown - 0s 200ms/step - loss: 0.7500"
                      "\r2/2 [==============================] - 1s 350ms/step - loss: 0.6000\n");
}

TEST_CASE("progbar verbose 0 prints nothing, another verbose is a value_error", "[callbacks]") {
    std::ostringstream os;
    fake_clock clock;
    cb::progbar pb{.out = &os, .verbose = 0, .force_tty = true, .clock = clock.fn()};
    training_context ctx;
    ctx.epochs = 3;
    ctx.steps = 2;
    pb.on_train_begin(ctx);
    for (int e = 0; e < 3; ++e) {
        pb.on_epoch_begin(ctx, e);
        for (int b = 0; b < 2; ++b) {
            clock.set(e + 0.1 * b);
            pb.on_train_batch_end(ctx, b, logs{{"loss", 1.0}});
        }
        pb.on_epoch_end(ctx, e, keras_epoch_logs());
    }
    CHECK(os.str().empty());
    CHECK(message_of<tfx::value_error>([&] { cb::progbar{.verbose = 3}.on_train_begin(ctx); }) ==
          "tfx: progbar: verbose must be 0, 1 or 2, got 3");
}

// ==================================================================================== lambda_callback

TEST_CASE("lambda_callback calls the functions it is given and skips the empty ones", "[callbacks]") {
    std::vector<std::string> calls;
    cb::callback l = cb::lambda_callback{
        .on_epoch_end =
            [&](training_context& ctx, int epoch, const logs& lg) {
                calls.push_back("end " + std::to_string(epoch) + " " + std::to_string(lg.at("loss")));
                if (epoch == 1) ctx.stop_training = true;
            },
        .on_train_begin = [&](training_context& ctx) { calls.push_back("begin " + std::to_string(ctx.epochs)); }};
    training_context ctx;
    ctx.epochs = 5;
    l.on_train_begin(ctx);
    for (int e = 0; e < 5 && !ctx.stop_training; ++e) {
        l.on_epoch_begin(ctx, e);  // empty: skipped
        l.on_train_batch_end(ctx, 0, logs{{"loss", 1.0}});
        l.on_epoch_end(ctx, e, logs{{"loss", 0.5 * e}});
    }
    l.on_train_end(ctx, logs{});
    CHECK(calls == std::vector<std::string>{"begin 5", "end 0 0.000000", "end 1 0.500000"});
}
