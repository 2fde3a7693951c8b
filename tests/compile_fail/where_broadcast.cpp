// expect: tfx: where: the two branches cannot be broadcast together
// expect: tfx::ops::where
// expect: tfx::shape<2, 3>
// expect: tfx::shape<4>
// where(c, a, b) with branches [2,3] and [4].
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> a;
    tfx::tensor<float, 4> b;
    auto w = tfx::where(a > 0.f, a, b);
    (void)w;
}
