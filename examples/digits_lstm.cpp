// An LSTM that reads each digit image row by row — 8 time steps of 8 pixels — and classifies it
// from its last output, trained with fit on the same fixed 80/20 split as the main demo.
//
//   digits_lstm [digits.csv.gz]
#include <cstdio>
#include <numeric>

#include <tfx/nn.hpp>

#include "digits_data.hpp"

using namespace tfx;

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : TFX_DIGITS_CSV;
    digits::dataset all = digits::load(path);

    const std::size_t n = all.y.size(), n_train = n * 4 / 5, n_test = n - n_train;
    random::generator split{42};
    tensor<std::int64_t, dyn> order(n);
    std::iota(order.begin(), order.end(), 0);
    for (std::size_t i = n; i > 1; --i) std::swap(order(i - 1), order(std::size_t(split.below(i))));
    tensor<std::int64_t, dyn> train_idx = slice<0>(order, 0, n_train), test_idx = slice<0>(order, n_train, n_test);
    // [images, 64] -> [images, 8 rows (time), 8 pixels (features)]
    tensor<float, dyn, 8, 8> x_train = reshape<dyn, 8, 8>(gather<0>(all.x, train_idx));
    tensor<float, dyn, 8, 8> x_test = reshape<dyn, 8, 8>(gather<0>(all.x, test_idx));
    tensor<std::int64_t, dyn> y_train = gather<0>(all.y, train_idx), y_test = gather<0>(all.y, test_idx);
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
