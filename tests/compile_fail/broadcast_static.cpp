// expect: tfx: shapes cannot be broadcast together
// expect: tfx::ops::add
// expect: tfx::shape<2, 3>
// expect: tfx::shape<4>
// [2,3] + [4]: the trailing extents 3 and 4 differ and neither is 1.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> a;
    tfx::tensor<float, 4> b;
    auto c = a + b;  // error here
    (void)c;
}
