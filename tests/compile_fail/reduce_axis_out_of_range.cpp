// expect: tfx: reduction: axis out of range
// expect: tfx::shape<2, 3>, 2>
// sum over axis 2 of a rank-2 tensor.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> x;
    auto s = tfx::sum<2>(x);
    (void)s;
}
