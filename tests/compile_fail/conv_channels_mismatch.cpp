// expect: tfx: conv2d: x's channels (its last extent) must equal w's (its third extent)
// expect: tfx::shape<-1, 8, 8, 3>
// expect: tfx::shape<3, 3, 4, 16>
// A 3x3 kernel for 4 input channels applied to an image with 3 channels.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, tfx::dyn, 8, 8, 3> x(2);
    tfx::tensor<float, 3, 3, 4, 16> w;
    auto y = tfx::conv2d<1, 1, tfx::padding::same>(x, w);
    (void)y;
}
