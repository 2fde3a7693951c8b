// expect: tfx: checkpoint::save: each argument after the path must be a variable collection
// A loose tensor needs a name: checkpoint::bind("w", w).
#include <tfx/io/checkpoint.hpp>

int main() {
    tfx::tensor<float, 3> w;
    tfx::checkpoint::save("ckpt.npz", w);
}
