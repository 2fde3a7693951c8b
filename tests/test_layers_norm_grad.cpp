// Gradients of tfx::layers::layer_norm against central finite differences in double precision.
// Split from test_layers_norm.cpp for the compiler; batch_norm's are in
// test_layers_batch_norm_grad.cpp.
#include "layers_check.hpp"

namespace {

using tfx::dyn;
using tfx::shape;
namespace layers = tfx::layers;
using laytest::check_spec_gradients;

TEST_CASE("layers: layer_norm's gradients match finite differences", "[layers][gradients][layer_norm]") {
    check_spec_gradients<shape<dyn, 5>>(layers::layer_norm(), {1, 3});
    check_spec_gradients<shape<dyn, 2, 6>>(layers::layer_norm(1e-5), {2});
}

}  // namespace
