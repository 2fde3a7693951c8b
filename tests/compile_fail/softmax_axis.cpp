// expect: tfx: softmax: axis out of range
// expect: tfx::shape<2, 3>, -3>
// max-errors: 3
// Known cascade: softmax_node is still instantiated with the bad axis, and axes_mask shifts by
// 2^64-1 ("right operand of shift expression"), then reduced_extents finds no match. Lower to 1
// when that is fixed.
// softmax along axis -3 of a rank-2 tensor.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> x;
    auto p = tfx::softmax<-3>(x);
    (void)p;
}
