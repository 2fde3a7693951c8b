// expect: tfx: where: the condition cannot be broadcast to the branches' shape
// expect: tfx::ops::where
// expect: tfx::shape<4>
// expect: tfx::shape<2, 3>
// where(c, a, b) with a condition of shape [4] and branches of shape [2, 3].
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> a;
    tfx::tensor<float, 4> c;
    auto w = tfx::where(c > 0.f, a, a);
    (void)w;
}
