// Keras-style models in a custom training loop: value_and_grad of a model and apply_gradients take
// the same steps as compile/train_on_batch.
// The model tests are split over the test_model*.cpp files so that each compiles in well under a
// minute: every compiled model instantiates its whole training step (docs/benchmarks.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <tfx/nn.hpp>

#include "blobs.hpp"

using namespace tfx;

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
