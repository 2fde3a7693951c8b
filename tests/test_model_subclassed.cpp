// Subclassed models: a struct of layers adapted with TFX_MODEL, with a templated call; variables by
// path (recursively), and predict through a residual connection and a layer norm matches the function
// written out. The train step is in test_model_subclassed_step.cpp, fit in
// test_model_subclassed_fit.cpp and the errors in test_model_subclassed_errors.cpp (split for the
// compiler; the models are in subclassed_models.hpp).
#include <catch2/catch.hpp>

#include <tfx/nn.hpp>

#include "subclassed_models.hpp"

using namespace tfx;
using test_subclassed::fill;

TEST_CASE("subclassed models find their variables recursively, by path", "[model][subclassed]") {
    models::model<test_subclassed::residual> m;
    CHECK(m.trainable_variable_names() == std::vector<std::string>{"stem/kernel", "stem/bias", "blk/hidden/kernel", "blk/hidden/bias",
                                                                   "blk/norm/gamma", "blk/norm/beta", "head/kernel", "head/bias"});
    CHECK(std::tuple_size_v<decltype(m.trainable_variables())> == 8);
    CHECK(m.count_params() == (4 * 8 + 8) + (8 * 8 + 8) + 16 + (8 * 3 + 3));
    CHECK(m.summary().find("blk/hidden (dense)") != std::string::npos);
}

TEST_CASE("a subclassed model's predict matches the function written out", "[model][subclassed]") {
    models::model<test_subclassed::residual> m;
    tensor<float, dyn, 4> x(6);
    fill(x, 3);
    const auto forward = test_subclassed::residual_forward;
    tensor<float, dyn, 3> expect =
        forward(m.stem.kernel, m.stem.bias, m.blk.hidden.kernel, m.blk.hidden.bias, m.blk.norm.gamma, m.blk.norm.beta, m.head.kernel,
                m.head.bias, x);
    const auto& got = m.predict(x);
    for (std::size_t i = 0; i < expect.size(); ++i) CHECK(got.data()[i] == Approx(expect.data()[i]).epsilon(1e-5));
}
