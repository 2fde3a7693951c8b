// expect: tfx: reduction: axis out of range
// expect: tfx::reduction_axes_in_range<tfx::shape<2, 3>, 2>
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> x;
    auto s = tfx::sum<2>(x);  // error here
    (void)s;
}
