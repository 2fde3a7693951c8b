// expect: tfx: fit: labels must be int32 or int64 class ids [?], targets shaped like the model's output
// expect: [with Y = tfx::tensor<double, -1>;
// expect: sequential_model<tfx::layers::input_spec<float, 4>, std::tuple<tfx::layers::dense_layer<float, tfx::shape<-1, 4>, 3,
// float64 labels for a float32 model (NumPy's default dtype): fit takes int32/int64 class ids [?],
// or targets of the model's element type. The label type is Y; the model's element type (float)
// and output extent (3) are in its type.
#include <tfx/nn.hpp>

int main() {
    using namespace tfx;
    auto m = models::sequential(layers::input<4>, layers::dense<3>());
    m.compile(optimizers::sgd{.learning_rate = 0.1}, losses::sparse_categorical_crossentropy{.from_logits = true});
    tensor<float, dyn, 4> x(8);
    tensor<double, dyn> y(8);
    m.fit(x, y);  // error here
}
