// expect: tfx: assignment: the expression's shape does not fit
// expect: tfx::shape<2, 3>
// expect: tfx::shape<4, 3>
// A [4,3] expression assigned to a [2,3] tensor.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 4, 3> x;
    tfx::tensor<float, 2, 3> y = x * 2.f;
    (void)y;
}
