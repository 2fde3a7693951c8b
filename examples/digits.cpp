// The main demo: an MLP and a small CNN trained on the bundled digits data (1797 8x8 images) with
// tfx's Keras-style API, on a fixed 80/20 split. Shows the progress bar, writes TensorBoard logs
// and checkpoints under <out> (default ./digits_out), and ends with the test accuracies.
//
//   digits [digits.csv.gz] [out]
#include <cstdio>

#include <tfx/nn.hpp>

#include "digits_data.hpp"

using namespace tfx;

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : TFX_DIGITS_CSV;
    const std::string out = argc > 2 ? argv[2] : "digits_out";
    digits::dataset all = digits::load(path);

    // A fixed shuffle, then 80% for training and 20% held out for the test.
    auto [x_train, x_test, y_train, y_test] = digits::split(all, 42);
    const std::size_t n_train = y_train.size(), n_test = y_test.size();
    std::printf("digits: %zu training and %zu test images\n\n", n_train, n_test);

    // ---- an MLP, trained from a tf.data-style pipeline
    auto mlp = models::sequential(layers::input<64>,
                                  layers::dense<128>(activations::relu),
                                  layers::dropout(0.1f),
                                  layers::dense<10>());
    mlp.compile(optimizers::adam{.learning_rate = 1e-3},
                losses::sparse_categorical_crossentropy{.from_logits = true},
                metrics::sparse_categorical_accuracy{});
    std::printf("%s\n", mlp.summary().c_str());
    auto train = data::from_tensor_slices(x_train, y_train).shuffle(2048, 42).batch(32);
    mlp.fit(train, {.epochs = 20,
                    .validation_data = std::tie(x_test, y_test),
                    .callbacks = {callbacks::tensorboard{.log_dir = out + "/logs/mlp"},
                                  callbacks::model_checkpoint{.filepath = out + "/mlp.npz",
                                                              .monitor = "val_sparse_categorical_accuracy",
                                                              .save_best_only = true}}});
    const double mlp_acc = mlp.evaluate(x_test, y_test).at("sparse_categorical_accuracy");

    // ---- a small CNN on the images as 8x8x1
    tensor<float, dyn, 8, 8, 1> img_train = reshape<dyn, 8, 8, 1>(x_train), img_test = reshape<dyn, 8, 8, 1>(x_test);
    auto cnn = models::sequential(layers::input<8, 8, 1>,
                                  layers::conv2d<16, 3, 3, padding::same>(activations::relu),
                                  layers::max_pool2d<2>(),
                                  layers::conv2d<32, 3, 3, padding::same>(activations::relu),
                                  layers::max_pool2d<2>(),
                                  layers::flatten(),
                                  layers::dense<64>(activations::relu),
                                  layers::dense<10>());
    cnn.compile(optimizers::adam{.learning_rate = 2e-3},
                losses::sparse_categorical_crossentropy{.from_logits = true},
                metrics::sparse_categorical_accuracy{});
    std::printf("\n%s\n", cnn.summary().c_str());
    cnn.fit(img_train, y_train, {.epochs = 15,
                                 .batch_size = 32,
                                 .validation_data = std::tie(img_test, y_test),
                                 .callbacks = {callbacks::tensorboard{.log_dir = out + "/logs/cnn"},
                                               callbacks::model_checkpoint{.filepath = out + "/cnn.npz"}}});
    const double cnn_acc = cnn.evaluate(img_test, y_test).at("sparse_categorical_accuracy");

    std::printf("\ntest accuracy: MLP %.4f, CNN %.4f\n", mlp_acc, cnn_acc);
    std::printf("TensorBoard logs in %s/logs, checkpoints %s/mlp.npz and %s/cnn.npz\n", out.c_str(), out.c_str(), out.c_str());
    return mlp_acc >= 0.95 && cnn_acc >= 0.97 ? 0 : 1;
}
