// expect: tfx: reshape:
// expect: tfx::shape<2, 3>
// expect: tfx::shape<4, 4>
// [2,3] (6 elements) reshaped to [4,4] (16 elements).
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> x;
    auto r = tfx::reshape<4, 4>(x);  // error here
    (void)r;
}
