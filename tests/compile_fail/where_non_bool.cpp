// expect: tfx: where: the condition must be a bool expression
// expect: tfx::bool_condition<tfx::ops::where, float>
// where with a float condition: write the comparison (c > 0).
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> c, a, b;
    auto w = tfx::where(c, a, b);
    (void)w;
}
