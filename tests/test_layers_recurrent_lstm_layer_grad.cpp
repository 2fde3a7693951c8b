// layers::lstm's gradients in double precision, with and without return_sequences: forward_train and
// backward against finite differences of <g, l(x)> (laytest::check_spec_gradients). Split from
// test_layers_recurrent_lstm_grad.cpp for the compiler.
#include <tfx/nn.hpp>

#include "layers_check.hpp"
#include "recurrent_check.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using namespace rnntest;

}  // namespace

// forward_train / backward against finite differences of <g, l(x)>, batches 1 and 2 (gru and
// simple_rnn: test_layers_recurrent_layers_grad.cpp)
TEST_CASE("layers::lstm's gradients match finite differences", "[layers][rnn][lstm][gradients]") {
    laytest::check_spec_gradients<shape<dyn, 3, 4>>(layers::lstm<U>(), {1, 2});
    laytest::check_spec_gradients<shape<dyn, 3, 4>>(layers::lstm<U>(layers::return_sequences), {1, 2});
}
