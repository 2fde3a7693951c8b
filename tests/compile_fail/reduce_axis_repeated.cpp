// expect: tfx: reduction: axis out of range or repeated
// expect: tfx::shape<2, 3>, 1, -1>
// Axes 1 and -1 are the same axis of a rank-2 tensor.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> x;
    auto s = tfx::mean<1, -1>(x);
    (void)s;
}
