// expect: tfx: argmax: axis out of range
// expect: tfx::shape<2, 3>, -3>
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> x;
    auto i = tfx::argmax<-3>(x);  // error here
    (void)i;
}
