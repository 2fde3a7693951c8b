// An LSTM that reads each digit image row by row — 8 time steps of 8 pixels — and classifies it
// from its last output, trained with fit on the same fixed 80/20 split as the main demo.
//
//   digits_lstm [digits.csv.gz]
#include <cstdio>

#include <tfx/nn.hpp>

#include "digits_data.hpp"

using namespace tfx;

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : TFX_DIGITS_CSV;
    digits::dataset all = digits::load(path);

    // The main demo's split; each image [64] read as 8 rows (time) of 8 pixels (features).
    digits::split_data split = digits::split(all, 42);
    const std::size_t n_train = split.y_train.size(), n_test = split.y_test.size();
    tensor<float, dyn, 8, 8> x_train = reshape<dyn, 8, 8>(split.x_train);
    tensor<float, dyn, 8, 8> x_test = reshape<dyn, 8, 8>(split.x_test);
    tensor<std::int64_t, dyn>&y_train = split.y_train, &y_test = split.y_test;
    std::printf("digits: %zu training and %zu test images, read as 8 steps of 8 pixels\n\n", n_train, n_test);

    auto model = models::sequential(layers::input<8, 8>,
                                    layers::lstm<64>(),
                                    layers::dense<10>());
    model.compile(optimizers::adam{.learning_rate = 5e-3},
                  losses::sparse_categorical_crossentropy{.from_logits = true},
                  metrics::sparse_categorical_accuracy{});
    std::printf("%s\n", model.summary().c_str());
    model.fit(x_train, y_train, {.epochs = 25, .batch_size = 32, .validation_data = std::tie(x_test, y_test)});
    const double acc = model.evaluate(x_test, y_test).at("sparse_categorical_accuracy");
    std::printf("\ntest accuracy: LSTM %.4f\n", acc);
    return acc >= 0.95 ? 0 : 1;
}
