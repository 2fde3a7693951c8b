// expect: tfx: shapes cannot be broadcast together
// expect: tfx::ops::mul
// expect: tfx::shape<-1, 3>
// expect: tfx::shape<4>
// [?,3] * [4]: the static extents already disagree, whatever the batch; dyn prints as -1.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, tfx::dyn, 3> a(2);
    tfx::tensor<float, 4> b;
    auto c = a * b;  // error here
    (void)c;
}
