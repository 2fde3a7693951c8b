// Uses a tensor and an expression through tfx::tfx alone; exits non-zero on a wrong result.
#include <tfx/tfx.hpp>

#include <cstdio>

int main() {
    tfx::tensor<float, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    tfx::tensor<float, 3> b{10, 20, 30};
    tfx::tensor c = a * 2.f + b;                 // [2,3] * 2 + [3], broadcast per row
    tfx::tensor<float> s = tfx::sum(c);          // 2 * 21 + 2 * 60
    tfx::tensor<float, tfx::dyn, 3> d(2);        // a dynamic batch
    d = c - a;
    const bool ok = c(0, 0) == 12.f && c(1, 2) == 42.f && s() == 162.f && d.shape()[0] == 2 && d(1, 1) == 25.f;
    std::printf("c(1, 2) = %g, sum(c) = %g, d(1, 1) = %g: %s\n", double(c(1, 2)), double(s()), double(d(1, 1)),
                ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
