// expect: tfx: this function needs floating-point elements
// expect: tfx::ops::exp
// expect: int
// exp of an int tensor: cast<float> first, as tf.exp requires.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<int, 2, 3> x;
    auto e = tfx::exp(x);
    (void)e;
}
