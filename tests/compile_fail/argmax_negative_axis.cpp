// expect: tfx: argmax: axis out of range
// expect: tfx::shape<2, 3>, -3>
// max-errors: 2
// Known cascade: arg_node is still instantiated with the bad axis, and axes_mask shifts by 2^64-1
// ("right operand of shift expression"). Lower to 1 when that is fixed.
// argmax along axis -3 of a rank-2 tensor.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> x;
    auto i = tfx::argmax<-3>(x);
    (void)i;
}
