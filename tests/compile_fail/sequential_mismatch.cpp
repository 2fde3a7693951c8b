// expect: tfx: sequential: a layer does not accept the output of the layer before it
// expect: tfx::models::detail::layer_fits<2, tfx::layers::conv2d_spec<8, 3, 3,
// expect: float, tfx::shape<-1, 128> >
// A conv2d (it takes [?, height, width, channels]) after a dense layer's [?, 128].
#include <tfx/nn.hpp>

int main() {
    using namespace tfx;
    auto m = models::sequential(layers::input<64>, layers::dense<128>(activations::relu), layers::conv2d<8, 3>());  // error here
    (void)m;
}
