// A sequential model with a recurrent layer (split from test_layers_recurrent.cpp for the compiler):
// sequential(input<8, 8>, lstm<16>, dense<10>) deduces its shapes, names its variables, compiles and
// fit reduces the loss.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <tfx/nn.hpp>

namespace {

using tfx::dyn;
using tfx::tensor;
namespace layers = tfx::layers;

}  // namespace


TEST_CASE("sequential(input<8, 8>, lstm<16>, dense<10>) compiles and fit reduces the loss", "[rnn][model]") {
    auto m = tfx::models::sequential(layers::input<8, 8>, layers::lstm<16>(), layers::dense<10>());
    STATIC_REQUIRE(std::is_same_v<decltype(m)::output_type, tensor<float, dyn, 10>>);
    CHECK(m.count_params() == (8 * 64 + 16 * 64 + 64) + (16 * 10 + 10));
    CHECK(m.trainable_variable_names() ==
          std::vector<std::string>{"lstm/kernel", "lstm/recurrent_kernel", "lstm/bias", "dense/kernel", "dense/bias"});
    m.compile(tfx::optimizers::adam{.learning_rate = 1e-2},
              tfx::losses::sparse_categorical_crossentropy{.from_logits = true});

    // The class is the time step whose row is raised: labels 0..7 of 10 logits.
    constexpr std::size_t n = 256;
    tfx::random::generator g{1601};
    tensor<float, dyn, 8, 8> x(n);
    tensor<std::int64_t, dyn> y(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = std::size_t(g.below(8));
        y(i) = std::int64_t(c);
        for (std::size_t t = 0; t < 8; ++t)
            for (std::size_t f = 0; f < 8; ++f) x(i, t, f) = float(0.5 * g.uniform01() + (t == c ? 1.0 : 0.0));
    }
    const double before = m.evaluate(x, y).at("loss");
    auto h = m.fit(x, y, {.epochs = 4, .verbose = 0, .batch_size = 32});
    REQUIRE(h.epochs.size() == 4);
    const auto losses = h.at("loss");
    const double after = m.evaluate(x, y).at("loss");
    INFO("loss before " << before << ", per epoch " << losses.front() << " .. " << losses.back() << ", after " << after);
    CHECK(std::isfinite(after));
    CHECK(losses.back() < losses.front());
    CHECK(after < 0.7 * before);
}
