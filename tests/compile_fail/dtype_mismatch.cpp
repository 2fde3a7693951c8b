// expect: tfx: operands have different element types
// expect: tfx::same_element_types<float, double>
// float + double tensors: no implicit promotion, as in TensorFlow.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> a;
    tfx::tensor<double, 2, 3> b;
    auto c = a + b;  // error here
    (void)c;
}
