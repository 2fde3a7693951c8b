// expect: tfx: reduction: an axis is given twice
// expect: tfx::shape<2, 3>, 1, -1>
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> x;
    auto s = tfx::mean<1, -1>(x);
    (void)s;
}
