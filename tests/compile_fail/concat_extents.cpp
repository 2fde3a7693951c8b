// expect: tfx: concat:
// expect: tfx::shape<2, 3>
// expect: tfx::shape<2, 4>
// concat along axis 0 of [2,3] and [2,4]: the extents outside the axis (3 and 4) differ.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> a;
    tfx::tensor<float, 2, 4> b;
    auto c = tfx::concat<0>(a, b);
    (void)c;
}
