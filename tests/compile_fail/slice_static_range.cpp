// expect: tfx: slice: the static range is out of bounds
// Rows 1..3 of a tensor with 2 rows.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> x;
    auto s = tfx::slice<0, 1, 2>(x);
    (void)s;
}
