// expect: tfx: cond: the branches must return one element type and compatible shapes
// expect: tfx::shape<3>
// expect: tfx::shape<4>
// cond whose branches return [3] and [4]: both extents are static and differ, so the result would
// have no one type whatever the predicate.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 3> a;
    tfx::tensor<float, 4> b;
    auto c = tfx::cond(true, [&] { return a * 2.f; }, [&] { return b + 1.f; });
    (void)c;
}
