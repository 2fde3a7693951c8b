// expect: tfx: evaluate: labels must be int32 or int64 class ids [?], targets shaped like the model's output
// expect: [with Y = tfx::tensor<unsigned char, -1>;
// uint8 class ids (as an image data set may store them) given to evaluate: the message names the
// call the user made, not fit. The label type is Y.
#include <cstdint>
#include <tfx/nn.hpp>

int main() {
    using namespace tfx;
    auto m = models::sequential(layers::input<4>, layers::dense<3>());
    m.compile(optimizers::sgd{.learning_rate = 0.1}, losses::sparse_categorical_crossentropy{.from_logits = true});
    tensor<float, dyn, 4> x(8);
    tensor<std::uint8_t, dyn> y(8);
    m.evaluate(x, y);  // error here
}
