// Trains a 64 -> 128 -> 10 MLP on the bundled digits data with tfx's core: the forward pass, the
// softmax cross-entropy and the hand-derived backward pass are fused expressions; every matmul
// with its bias and activation is one GEMM call.
#include <chrono>
#include <cstdio>
#include <numeric>

#include "digits_data.hpp"

using namespace tfx;

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : TFX_DIGITS_CSV;
    digits::dataset all = digits::load(path);

    // The demos' fixed 80/20 split; the same generator then draws the initial weights.
    random::generator gen{42};
    auto [x_train, x_test, y_train, y_test] = digits::split(all, gen);
    const std::size_t n_train = y_train.size(), n_test = y_test.size();

    // Glorot-uniform weights, zero biases.
    auto W1 = random::uniform<float, 64, 128>(gen, -std::sqrt(6.0 / 192), std::sqrt(6.0 / 192));
    auto W2 = random::uniform<float, 128, 10>(gen, -std::sqrt(6.0 / 138), std::sqrt(6.0 / 138));
    tensor<float, 128> b1;
    tensor<float, 10> b2;
    const tensor<std::int64_t, 10> classes{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};

    const std::size_t batch = 32, epochs = 20;
    const float lr = 0.1f, momentum = 0.9f;
    tensor<float, 64, 128> vW1;
    tensor<float, 128> vb1;
    tensor<float, 128, 10> vW2;
    tensor<float, 10> vb2;

    // Buffers reused by every step: after the first step a step allocates only when the batch
    // size changes (the last, shorter batch of an epoch).
    tensor<std::int64_t, dyn> idx;
    tensor<float, dyn, 64> xb;
    tensor<std::int64_t, dyn> yb;
    tensor<float, dyn, 128> h, dh;
    tensor<float, dyn, 10> logits, dlogits;

    auto evaluate = [&](const tensor<float, dyn, 64>& x, const tensor<std::int64_t, dyn>& y) {
        tensor<float, dyn, 10> out = matmul(relu(matmul(x, W1) + b1), W2) + b2;
        tensor<std::int64_t, dyn> pred = argmax<1>(out);
        tensor<float> acc = mean(cast<float>(pred == y));
        tensor<float> loss = -mean(gather<1, 1>(log_softmax<1>(out), y));
        return std::pair{loss(), acc()};
    };

    tensor<std::int64_t, dyn> perm(n_train);
    std::iota(perm.begin(), perm.end(), 0);

    std::printf("digits: %zu training and %zu test images, MLP 64-128-10, batch %zu\n", n_train, n_test, batch);
    for (std::size_t epoch = 1; epoch <= epochs; ++epoch) {
        const auto t0 = std::chrono::steady_clock::now();
        // A new order of the training set each epoch.
        for (std::size_t i = n_train; i > 1; --i) std::swap(perm(i - 1), perm(std::size_t(gen.below(i))));
        for (std::size_t start = 0; start < n_train; start += batch) {
            const std::size_t m = std::min(batch, n_train - start);
            idx = slice<0>(perm, start, m);
            xb = gather<0>(x_train, idx);
            yb = gather<0>(y_train, idx);
            // Forward: each line is one GEMM with its bias (and activation) applied in the store.
            h = relu(matmul(xb, W1) + b1);
            logits = matmul(h, W2) + b2;
            // Backward of mean softmax cross-entropy: (softmax - one_hot) / m.
            dlogits = softmax<1>(logits);
            dlogits = (dlogits - cast<float>(reshape<dyn, 1>(yb) == classes)) / float(m);
            dh = where(h > 0.f, matmul(dlogits, transpose(W2)), 0.f);
            // SGD with momentum; the gradients of W are matmuls with a transposed operand.
            vW2 = momentum * vW2 - lr * matmul(transpose(h), dlogits);
            vb2 = momentum * vb2 - lr * sum<0>(dlogits);
            vW1 = momentum * vW1 - lr * matmul(transpose(xb), dh);
            vb1 = momentum * vb1 - lr * sum<0>(dh);
            W2 = W2 + vW2;
            b2 = b2 + vb2;
            W1 = W1 + vW1;
            b1 = b1 + vb1;
        }
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        const auto [loss, acc] = evaluate(x_train, y_train);
        const auto [val_loss, val_acc] = evaluate(x_test, y_test);
        std::printf("Epoch %2zu/%zu - %.1fms - loss: %.4f - accuracy: %.4f - val_loss: %.4f - val_accuracy: %.4f\n", epoch,
                    epochs, ms, loss, acc, val_loss, val_acc);
    }
    const auto [test_loss, test_acc] = evaluate(x_test, y_test);
    std::printf("test accuracy: %.4f\n", test_acc);
    return test_acc >= 0.95 ? 0 : 1;
}
