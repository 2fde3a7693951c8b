// Gradients of the recurrent layers layers::gru and layers::simple_rnn in double precision, with and
// without return_sequences: forward_train/backward against finite differences of <g, l(x)>
// (laytest::check_spec_gradients). Split from test_layers_recurrent_grad.cpp for the compiler.
#include <tfx/nn.hpp>

#include "layers_check.hpp"
#include "recurrent_check.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace {

using namespace rnntest;

}  // namespace

// forward_train / backward against finite differences of <g, l(x)>, batches 1 and 2 (as in
// test_layers_grad.cpp), with and without return_sequences
TEST_CASE("layers::gru's gradients match finite differences", "[layers][rnn][gru][gradients]") {
    laytest::check_spec_gradients<shape<dyn, 3, 4>>(layers::gru<U>(), {1, 2});
    laytest::check_spec_gradients<shape<dyn, 3, 4>>(layers::gru<U>(layers::return_sequences), {1, 2});
}
TEST_CASE("layers::simple_rnn's gradients match finite differences", "[layers][rnn][simple_rnn][gradients]") {
    laytest::check_spec_gradients<shape<dyn, 3, 4>>(layers::simple_rnn<U>(), {1, 2});
    laytest::check_spec_gradients<shape<dyn, 3, 4>>(layers::simple_rnn<U>(layers::return_sequences), {1, 2});
}
