// Uses a tensor and an expression, a product and an error message, through tfx::tfx (header-only)
// or tfx::compiled (consumer_compiled); exits non-zero on a wrong result.
#include <tfx/tfx.hpp>

#include <algorithm>
#include <cstdio>
#include <string>

int main() {
    tfx::tensor<float, 2, 3> a{{1, 2, 3}, {4, 5, 6}};
    tfx::tensor<float, 3> b{10, 20, 30};
    tfx::tensor c = a * 2.f + b;                 // [2,3] * 2 + [3], broadcast per row
    tfx::tensor<float> s = tfx::sum(c);          // 2 * 21 + 2 * 60
    tfx::tensor<float, tfx::dyn, 3> d(2);        // a dynamic batch
    d = c - a;
    // A product through the GEMM's blocked loops: [40, 30] ones times [30, 20] twos is 60 everywhere.
    tfx::tensor<float, tfx::dyn, tfx::dyn> x(40, 30), y(30, 20);
    std::fill_n(x.data(), x.size(), 1.f);
    std::fill_n(y.data(), y.size(), 2.f);
    tfx::tensor<float, tfx::dyn, tfx::dyn> p = tfx::matmul(x, y);
    const bool product_ok = p.shape()[0] == 40 && p.shape()[1] == 20 && std::all_of(p.data(), p.data() + p.size(), [](float v) { return v == 60.f; });
    // A run-time error with its message.
    bool error_ok = false;
    try {
        tfx::tensor<float, tfx::dyn, tfx::dyn> q = tfx::matmul(x, x);  // [40, 30] x [40, 30]
    } catch (const tfx::error& e) {
        error_ok = std::string(e.what()).find("[40, 30]") != std::string::npos;
        std::printf("error: %s\n", e.what());
    }
    const bool ok = c(0, 0) == 12.f && c(1, 2) == 42.f && s() == 162.f && d.shape()[0] == 2 && d(1, 1) == 25.f &&
                    product_ok && error_ok;
    std::printf("c(1, 2) = %g, sum(c) = %g, d(1, 1) = %g, product %s, error message %s: %s\n", double(c(1, 2)),
                double(s()), double(d(1, 1)), product_ok ? "ok" : "WRONG", error_ok ? "ok" : "WRONG", ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
