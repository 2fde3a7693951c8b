// expect: tfx: checkpoint::restore: each argument after the path must be a variable collection with non-const tensors
// A const tensor can be saved, not restored into.
#include <tfx/io/checkpoint.hpp>

int main() {
    const tfx::tensor<float, 3> w;
    tfx::checkpoint::restore("ckpt.npz", tfx::checkpoint::bind("w", w));
}
