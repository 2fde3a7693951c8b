// Subclassed models (subclassed_models.hpp): train steps refuse a layer that got no gradient and a
// layer called twice, leaving the model unchanged; inference of a layer called twice is fine.
#include <catch2/catch.hpp>

#include <tfx/nn.hpp>

#include "subclassed_models.hpp"

using namespace tfx;
using test_subclassed::fill;

TEST_CASE("subclassed models refuse a layer without gradient or called twice", "[model][subclassed]") {
    tensor<float, dyn, 4> x(8);
    tensor<std::int64_t, dyn> y{0, 1, 2, 0, 1, 2, 0, 1};
    fill(x, 5);
    models::model<test_subclassed::plain> p;
    p.compile(optimizers::sgd{}, losses::sparse_categorical_crossentropy{.from_logits = true});
    tensor<float, 4, 5> before = p.a.kernel;
    CHECK_THROWS_WITH(p.train_on_batch(x, y), Catch::Contains("layer 'unused'") && Catch::Contains("no gradient"));
    CHECK(std::equal(before.begin(), before.end(), p.a.kernel.begin()));

    models::model<test_subclassed::twice> t;
    t.compile(optimizers::sgd{}, losses::mean_squared_error{});
    tensor<float, dyn, 3> x3(4), y3(4);
    fill(x3, 1);
    fill(y3, 2);
    CHECK_THROWS_WITH(t.train_on_batch(x3, y3), Catch::Contains("called twice"));
    tensor<float, dyn, 3> p3 = t.predict(x3);  // inference of a shared layer is fine
    CHECK(p3.shape()[0] == 4);
}
