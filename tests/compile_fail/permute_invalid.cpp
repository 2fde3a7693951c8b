// expect: tfx: permute:
// expect: tfx::shape<2, 3>, 0, 0>
// permute<0, 0>: axis 0 twice, axis 1 missing.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> x;
    auto p = tfx::permute<0, 0>(x);
    (void)p;
}
