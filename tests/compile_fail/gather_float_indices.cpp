// expect: tfx: gather: indices must be an integer tensor
// Indices given as floats.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 4, 3> x;
    tfx::tensor<float, 2> idx;
    auto g = tfx::gather<0>(x, idx);
    (void)g;
}
