// expect: tfx: assignment: the expression's element type differs
// expect: tfx::tensor_elements<double>
// expect: tfx::expression_elements<float>
// A float expression assigned to a double tensor: cast<double> says so explicitly.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> x;
    tfx::tensor<double, 2, 3> y = x * 2.f;  // error here
    (void)y;
}
