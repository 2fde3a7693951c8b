// expect: tfx: reduction: axis out of range or repeated
// expect: tfx::shape<2, 3>, 1, -1>
// max-errors: 2
// Known cascade: make_reduce returns void after the failed assert, so `auto s = ...` adds
// "'void s' has incomplete type". Lower to 1 when that is fixed.
// Axes 1 and -1 are the same axis of a rank-2 tensor.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> x;
    auto s = tfx::mean<1, -1>(x);
    (void)s;
}
