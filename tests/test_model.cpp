// Keras-style models end to end: sequential's structure and variables, compile/fit/evaluate/predict,
// train_on_batch against a step computed by hand, checkpoints, and the run-time errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <tfx/nn.hpp>

#include "blobs.hpp"

using namespace tfx;

namespace {

std::filesystem::path temp_path(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / "tfx_test_model";
    std::filesystem::create_directories(dir);
    return dir / name;
}

}  // namespace

TEST_CASE("sequential deduces shapes, names variables like Keras and counts parameters", "[model]") {
    auto m = models::sequential(layers::input<4>, layers::dense<8>(activations::relu), layers::dropout(0.5f),
                                layers::dense<8>(activations::tanh), layers::dense<3>());
    STATIC_REQUIRE(std::is_same_v<decltype(m)::output_type, tensor<float, dyn, 3>>);
    CHECK(m.trainable_variable_names() ==
          std::vector<std::string>{"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias"});
    CHECK(m.count_params() == (4 * 8 + 8) + (8 * 8 + 8) + (8 * 3 + 3));
    std::vector<std::string> all;
    m.for_each_variable([&](std::string_view name, const auto&) { all.emplace_back(name); });
    CHECK(all.size() == 6);
    CHECK(m.summary().find("dense_2 (dense)") != std::string::npos);
    // Deterministic initialization: two new models are equal, initialize(seed) draws new values.
    auto m2 = models::sequential(layers::input<4>, layers::dense<8>(activations::relu), layers::dropout(0.5f),
                                 layers::dense<8>(activations::tanh), layers::dense<3>());
    CHECK(std::equal(m.layer<0>().kernel.begin(), m.layer<0>().kernel.end(), m2.layer<0>().kernel.begin()));
    m2.initialize(random::generator{7});
    CHECK_FALSE(std::equal(m.layer<0>().kernel.begin(), m.layer<0>().kernel.end(), m2.layer<0>().kernel.begin()));
}

TEST_CASE("predict is the layers applied in order, dropout off", "[model]") {
    auto m = models::sequential(layers::input<4>, layers::dense<5>(activations::relu), layers::dropout(0.5f), layers::dense<2>());
    blobs b = make_blobs(7, 1);
    const auto& l0 = m.layer<0>();
    const auto& l2 = m.layer<2>();
    tensor<float, dyn, 2> expect = matmul(relu(matmul(b.x, l0.kernel) + l0.bias), l2.kernel) + l2.bias;
    const auto& got = m.predict(b.x);
    REQUIRE(got.shape() == expect.shape());
    for (std::size_t i = 0; i < expect.size(); ++i) CHECK(got.data()[i] == Approx(expect.data()[i]).epsilon(1e-5));
    tensor<float, dyn, 2> via_call = m(b.x);  // the model as an expression
    for (std::size_t i = 0; i < expect.size(); ++i) CHECK(via_call.data()[i] == Approx(expect.data()[i]).epsilon(1e-5));
}

TEST_CASE("train_on_batch takes one SGD step with the gradient of the loss", "[model]") {
    auto m = models::sequential(layers::input<4>, layers::dense<3>(activations::tanh), layers::dense<3>());
    m.compile(optimizers::sgd{.learning_rate = 0.1}, losses::sparse_categorical_crossentropy{.from_logits = true});
    blobs b = make_blobs(6, 2);
    // The expected step, with tfx::grad of the same loss written out over the variables.
    auto loss = [](auto w0, auto b0, auto w1, auto b1, auto x, auto y) {
        auto logits = matmul(tanh(matmul(x, w0) + b0), w1) + b1;
        return -mean(gather<1, 1>(log_softmax<1>(logits), y));
    };
    auto& d0 = m.layer<0>();
    auto& d1 = m.layer<1>();
    auto [l, g0, gb0, g1, gb1] = tfx::value_and_grad<0, 1, 2, 3>(loss)(d0.kernel, d0.bias, d1.kernel, d1.bias, b.x, b.y);
    tensor<float, 4, 3> w0 = d0.kernel - 0.1f * g0;
    tensor<float, 3> bb1 = d1.bias - 0.1f * gb1;
    const auto logs = m.train_on_batch(b.x, b.y);
    CHECK(logs.at("loss") == Approx(l()).epsilon(1e-5));
    for (std::size_t i = 0; i < w0.size(); ++i) CHECK(d0.kernel.data()[i] == Approx(w0.data()[i]).margin(1e-6));
    for (std::size_t i = 0; i < bb1.size(); ++i) CHECK(d1.bias.data()[i] == Approx(bb1.data()[i]).margin(1e-6));
}

TEST_CASE("fit reduces the loss and evaluate agrees with the metrics", "[model]") {
    auto m = models::sequential(layers::input<4>, layers::dense<16>(activations::relu), layers::batch_norm(),
                                layers::dropout(0.1f), layers::dense<3>());
    m.compile(optimizers::adam{.learning_rate = 1e-2}, losses::sparse_categorical_crossentropy{.from_logits = true},
              metrics::sparse_categorical_accuracy{});
    blobs train = make_blobs(256, 3), test = make_blobs(128, 4);
    const double before = m.evaluate(test.x, test.y).at("loss");
    auto ds = data::from_tensor_slices(train.x, train.y).shuffle(256, 5).batch(32);
    auto h = m.fit(ds, {.epochs = 8, .verbose = 0, .validation_data = std::tie(test.x, test.y)});
    REQUIRE(h.epochs.size() == 8);
    const auto losses = h.at("loss");
    CHECK(losses.back() < losses.front());
    const auto logs = m.evaluate(test.x, test.y);
    CHECK(logs.at("loss") < before * 0.5);
    CHECK(logs.at("sparse_categorical_accuracy") > 0.9);
    CHECK(h.epochs.back().at("val_loss") == Approx(logs.at("loss")).epsilon(1e-4));
    // fit on tensors, with the same options
    auto h2 = m.fit(train.x, train.y, {.epochs = 2, .verbose = 0, .batch_size = 64});
    CHECK(h2.epochs.size() == 2);
}

TEST_CASE("fit with mean squared error on float targets", "[model]") {
    auto m = models::sequential(layers::input<2>, layers::dense<1>());
    m.compile(optimizers::sgd{.learning_rate = 0.1}, losses::mean_squared_error{});
    random::generator g{9};
    tensor<float, dyn, 2> x(64);
    for (auto& v : x) v = float(g.standard_normal());
    tensor<float, dyn, 1> y = matmul(x, tensor<float, 2, 1>{{2}, {-3}}) + 0.5f;
    auto h = m.fit(x, y, {.epochs = 60, .verbose = 0, .batch_size = 16});
    CHECK(h.at("loss").back() < 1e-4);
    CHECK(m.layer<0>().kernel(0, 0) == Approx(2).margin(1e-2));
    CHECK(m.layer<0>().kernel(1, 0) == Approx(-3).margin(1e-2));
    CHECK(m.layer<0>().bias(0) == Approx(0.5).margin(1e-2));
}

TEST_CASE("save_weights and load_weights round trip the model and the optimizer", "[model][checkpoint]") {
    auto make = [] {
        auto m = models::sequential(layers::input<4>, layers::dense<6>(activations::relu), layers::batch_norm(), layers::dense<3>());
        m.compile(optimizers::adam{}, losses::sparse_categorical_crossentropy{.from_logits = true});
        return m;
    };
    auto a = make();
    blobs b = make_blobs(32, 6);
    a.fit(b.x, b.y, {.epochs = 2, .verbose = 0});
    const auto path = temp_path("roundtrip.npz");
    a.save_weights(path);
    auto c = make();
    c.load_weights(path);
    tensor<float, dyn, 3> pa = a.predict(b.x), pc = c.predict(b.x);
    for (std::size_t i = 0; i < pa.size(); ++i) CHECK(pc.data()[i] == pa.data()[i]);
    // The next step is the same too: the optimizer's moments and iterations came back.
    const auto la = a.train_on_batch(b.x, b.y), lc = c.train_on_batch(b.x, b.y);
    CHECK(la.at("loss") == lc.at("loss"));
    CHECK(std::equal(a.layer<0>().kernel.begin(), a.layer<0>().kernel.end(), c.layer<0>().kernel.begin()));
    // A checkpoint of another architecture is refused and changes nothing.
    auto other = models::sequential(layers::input<4>, layers::dense<5>(), layers::dense<3>());
    other.compile(optimizers::adam{}, losses::sparse_categorical_crossentropy{.from_logits = true});
    tensor<float, 4, 5> before = other.layer<0>().kernel;
    CHECK_THROWS_AS(other.load_weights(path), tfx::error);
    CHECK(std::equal(before.begin(), before.end(), other.layer<0>().kernel.begin()));
}

TEST_CASE("load_weights of a file saved before the first step, or by an uncompiled model", "[model][checkpoint]") {
    auto make = [] {
        auto m = models::sequential(layers::input<4>, layers::dense<6>(activations::relu), layers::dense<3>());
        m.compile(optimizers::adam(0.05f), losses::sparse_categorical_crossentropy{.from_logits = true});
        return m;
    };
    blobs b = make_blobs(32, 8);
    // Saved compiled but untrained (the file has optimizer/iterations = 0 and no slots): loading it
    // into a model that has trained since brings back the weights and a fresh optimizer, so the
    // next steps are those of a new model.
    auto a = make();
    const auto path = temp_path("untrained.npz");
    a.save_weights(path);
    a.fit(b.x, b.y, {.epochs = 2, .verbose = 0});
    a.load_weights(path);
    auto fresh = make();
    CHECK(std::equal(a.layer<0>().kernel.begin(), a.layer<0>().kernel.end(), fresh.layer<0>().kernel.begin()));
    const auto la = a.train_on_batch(b.x, b.y), lf = fresh.train_on_batch(b.x, b.y);
    CHECK(la.at("loss") == lf.at("loss"));
    CHECK(std::equal(a.layer<1>().kernel.begin(), a.layer<1>().kernel.end(), fresh.layer<1>().kernel.begin()));
    // Saved by an uncompiled model (weights only): the weights come back, the optimizer keeps its state.
    auto plain = models::sequential(layers::input<4>, layers::dense<6>(activations::relu), layers::dense<3>());
    const auto wpath = temp_path("weights_only.npz");
    plain.save_weights(wpath);
    auto c = make();
    c.fit(b.x, b.y, {.epochs = 1, .verbose = 0});
    c.load_weights(wpath);
    CHECK(std::equal(c.layer<1>().kernel.begin(), c.layer<1>().kernel.end(), plain.layer<1>().kernel.begin()));
    // Still strict about the weights: another architecture is refused, nothing changes.
    auto other = models::sequential(layers::input<4>, layers::dense<5>(), layers::dense<3>());
    other.compile(optimizers::adam{}, losses::sparse_categorical_crossentropy{.from_logits = true});
    const tensor<float, 4, 5> before = other.layer<0>().kernel;
    CHECK_THROWS_AS(other.load_weights(path), tfx::io_error);
    CHECK_THROWS_AS(other.load_weights(wpath), tfx::io_error);
    CHECK(std::equal(before.begin(), before.end(), other.layer<0>().kernel.begin()));
}

TEST_CASE("run-time misuse throws and leaves the model unchanged", "[model][errors]") {
    auto m = models::sequential(layers::input<4>, layers::dense<3>());
    blobs b = make_blobs(8, 7);
    CHECK_THROWS_WITH(m.fit(b.x, b.y, {.verbose = 0}), Catch::Contains("compiled"));
    m.compile(optimizers::sgd{}, losses::sparse_categorical_crossentropy{.from_logits = true});
    const tensor<float, 4, 3> before = m.layer<0>().kernel;
    // a label out of range
    tensor<std::int64_t, dyn> bad = b.y;
    bad(3) = 7;
    CHECK_THROWS_AS(m.train_on_batch(b.x, bad), tfx::value_error);
    // rows of x and y that do not match
    tensor<std::int64_t, dyn> short_y = slice<0>(b.y, 0, 5);
    CHECK_THROWS_AS(m.fit(b.x, short_y, {.verbose = 0}), tfx::shape_error);
    CHECK(std::equal(before.begin(), before.end(), m.layer<0>().kernel.begin()));
    // a NaN loss with terminate_on_nan
    tensor<float, dyn, 4> xn = b.x;
    xn(0, 0) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_AS(m.fit(xn, b.y, {.verbose = 0, .callbacks = {callbacks::terminate_on_nan{}}}), tfx::value_error);
    CHECK(std::equal(before.begin(), before.end(), m.layer<0>().kernel.begin()));
}

TEST_CASE("int32 class ids train, evaluate and fail exactly like int64 ones", "[model]") {
    // The model widens int32 ids into int64 before the step (one compiled step per sparse loss):
    // same weights bit for bit, same metrics, same error.
    blobs b = make_blobs(40, 11);
    tensor<std::int32_t, dyn> y32(b.y.shape()[0]);
    std::transform(b.y.begin(), b.y.end(), y32.begin(), [](std::int64_t v) { return std::int32_t(v); });
    auto make = [] {
        auto m = models::sequential(layers::input<4>, layers::dense<6>(activations::relu), layers::dense<3>());
        m.compile(optimizers::adam(0.05f), losses::sparse_categorical_crossentropy{.from_logits = true},
                  metrics::sparse_categorical_accuracy{});
        return m;
    };
    auto m64 = make(), m32 = make();
    const auto h64 = m64.fit(b.x, b.y, {.epochs = 3, .verbose = 0, .batch_size = 16});
    const auto h32 = m32.fit(b.x, y32, {.epochs = 3, .verbose = 0, .batch_size = 16});
    CHECK(h32.epochs.back().at("loss") == h64.epochs.back().at("loss"));
    CHECK(std::equal(m64.layer<0>().kernel.begin(), m64.layer<0>().kernel.end(), m32.layer<0>().kernel.begin()));
    CHECK(std::equal(m64.layer<1>().bias.begin(), m64.layer<1>().bias.end(), m32.layer<1>().bias.begin()));
    CHECK(m32.evaluate(b.x, y32).at("sparse_categorical_accuracy") == m64.evaluate(b.x, b.y).at("sparse_categorical_accuracy"));
    CHECK(m32.train_on_batch(b.x, y32).at("loss") == m64.train_on_batch(b.x, b.y).at("loss"));
    // a label out of range: the same message, and the model unchanged
    tensor<std::int64_t, dyn> bad64 = b.y;
    bad64(5) = 3;
    tensor<std::int32_t, dyn> bad32 = y32;
    bad32(5) = 3;
    std::string msg64, msg32;
    try { m64.train_on_batch(b.x, bad64); } catch (const tfx::value_error& e) { msg64 = e.what(); }
    const tensor<float, 4, 6> before = m32.layer<0>().kernel;
    try { m32.train_on_batch(b.x, bad32); } catch (const tfx::value_error& e) { msg32 = e.what(); }
    CHECK_THAT(msg32, Catch::Contains("label 3 at row 5 is out of range [0, 3)"));
    CHECK(msg32 == msg64);
    CHECK(std::equal(before.begin(), before.end(), m32.layer<0>().kernel.begin()));
}

TEST_CASE("custom training loops: value_and_grad of a model and apply_gradients", "[model]") {
    auto make = [] {
        auto m = models::sequential(layers::input<4>, layers::dense<6>(activations::relu), layers::dense<3>());
        m.compile(optimizers::sgd{.learning_rate = 0.2}, losses::sparse_categorical_crossentropy{.from_logits = true});
        return m;
    };
    auto a = make(), b = make();
    blobs data = make_blobs(64, 12);
    auto train = data::from_tensor_slices(data.x, data.y).batch(16);
    const auto loss_fn = losses::sparse_categorical_crossentropy{.from_logits = true};
    auto opt = optimizers::sgd{.learning_rate = 0.2};
    metrics::mean mean_loss{.name = "loss"};
    for (const auto& [x, y] : train) {
        auto [l, grads] = tfx::value_and_grad([&](auto& m) { return loss_fn(y, m(x)); })(a);
        opt.apply_gradients(grads, a.trainable_variables());
        mean_loss.update_state(l);
        const auto ref = b.train_on_batch(x, y);  // the same step through compile/train_on_batch
        CHECK(l() == Approx(ref.at("loss")).epsilon(1e-6));
    }
    CHECK(mean_loss.result() > 0);
    CHECK(std::equal(a.layer<0>().kernel.begin(), a.layer<0>().kernel.end(), b.layer<0>().kernel.begin(),
                     [](float p, float q) { return std::abs(p - q) < 1e-6f; }));
}
