// expect: tfx: argmax: axis out of range
// expect: tfx::shape<2, 3>, 2>
// argmax along axis 2 of a rank-2 tensor.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> x;
    auto i = tfx::argmax<2>(x);  // error here
    (void)i;
}
