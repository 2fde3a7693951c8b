// expect: tfx: matmul:
// expect: tfx::shape<2, 3>
// expect: tfx::shape<4, 5>
// [2,3] @ [4,5]: the inner extents 3 and 4 differ.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> a;
    tfx::tensor<float, 4, 5> b;
    auto c = tfx::matmul(a, b);  // error here
    (void)c;
}
