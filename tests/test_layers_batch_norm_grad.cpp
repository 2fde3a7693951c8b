// Gradients of tfx::layers::batch_norm in training (through the batch statistics) against central
// finite differences in double precision; the finite-difference passes commit no moving
// statistics. Split from test_layers_norm_grad.cpp for the compiler (layer_norm's are there).
#include "layers_check.hpp"

#include <string>

namespace {

using tfx::dyn;
using tfx::shape;
using tfx::tensor;
namespace layers = tfx::layers;
using laytest::check_spec_gradients;
using laytest::fill_uniform;
using laytest::rng;

TEST_CASE("layers: batch_norm's training gradients (through the batch statistics) match finite differences",
          "[layers][gradients][batch_norm]") {
    // Training output depends on the whole batch: finite differences of forward_train, not of l(x).
    check_spec_gradients<shape<dyn, 4>>(layers::batch_norm(), {2, 6}, false);
    check_spec_gradients<shape<dyn, 3, 2, 3>>(layers::batch_norm(0.9, 1e-2), {2}, false);

    // The finite-difference passes committed nothing: the moving statistics are still initial.
    auto l = layers::batch_norm().build<double, shape<dyn, 4>>();
    tfx::random::generator gen(1);
    l.initialize(gen);
    tensor<double, dyn, 4> x(3);
    rng r(2);
    fill_uniform(x, r, -1, 1);
    const std::string m = laytest::check_layer_gradients(l, x, 5, false);
    CHECK(m.empty());
    for (std::size_t c = 0; c < 4; ++c) {
        CHECK(l.moving_mean(c) == 0);
        CHECK(l.moving_variance(c) == 1);
    }
}

}  // namespace
