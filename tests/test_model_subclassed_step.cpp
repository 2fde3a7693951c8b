// Subclassed models (subclassed_models.hpp): one SGD step of train_on_batch equals the step computed
// with tfx::value_and_grad of the same function written out (a residual connection, a layer norm;
// the reference is computed in subclassed_reference.cpp, a TU of its own, for the compiler).
#include <catch2/catch.hpp>

#include <tfx/nn.hpp>

#include "subclassed_models.hpp"

using namespace tfx;
using test_subclassed::fill;

TEST_CASE("a subclassed model's train step matches tfx::grad of the function written out", "[model][subclassed]") {
    models::model<test_subclassed::residual> m;
    m.drop.rate = 0.f;  // no dropout: the step is deterministic
    tensor<float, dyn, 4> x(6);
    fill(x, 3);
    tensor<std::int64_t, dyn> y{0, 1, 2, 2, 1, 0};
    // The reference, before the step: tfx::value_and_grad of the same function (subclassed_reference.cpp).
    const auto ref = test_subclassed::residual_reference_step(m, x, y, 0.5f);
    m.compile(optimizers::sgd{.learning_rate = 0.5}, losses::sparse_categorical_crossentropy{.from_logits = true});
    const auto logs = m.train_on_batch(x, y);
    CHECK(logs.at("loss") == Approx(ref.loss).epsilon(1e-5));
    auto near = [](const auto& got, const auto& want) {
        for (std::size_t i = 0; i < want.size(); ++i) CHECK(got.data()[i] == Approx(want.data()[i]).margin(1e-5));
    };
    near(m.stem.kernel, ref.stem_kernel);
    near(m.blk.hidden.kernel, ref.hidden_kernel);
    near(m.blk.norm.gamma, ref.norm_gamma);
    near(m.head.bias, ref.head_bias);
}
