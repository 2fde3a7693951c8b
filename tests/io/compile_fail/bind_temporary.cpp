// expect: tfx: checkpoint::bind: the tensor is a temporary
// The binding would refer to a tensor that is gone by the time save runs.
#include <tfx/io/checkpoint.hpp>

int main() {
    tfx::checkpoint::bind("w", tfx::tensor<float, 3>{1, 2, 3});
}
