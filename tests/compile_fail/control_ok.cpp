// expect-compile: ok
// The positive control: the valid neighbours of every compile-fail case, compiled with the same
// command. If this fails, the harness's flags are wrong and the other cases prove nothing.
#include <tfx/tfx.hpp>

int main() {
    tfx::tensor<float, 2, 3> a;
    tfx::tensor<float, 3> b;
    tfx::tensor<float, tfx::dyn, 3> d(2);
    tfx::tensor<float, 2, 3> c = a + b;                 // [2,3] + [3] broadcasts
    tfx::tensor<float, tfx::dyn, 3> e = d * b;          // [?,3] * [3]
    tfx::tensor<double, 2, 3> f = tfx::cast<double>(a) * 2.0;
    tfx::tensor<float, 2> s = tfx::sum<1>(c);           // axis 1 of a rank-2 tensor
    tfx::tensor<float> m = tfx::mean<0, -1>(a);         // two distinct axes, one of them negative
    tfx::tensor<float, 2> m2 = tfx::mean<-1>(a);
    tfx::tensor<std::int64_t, 2> i = tfx::argmax<1>(a);
    tfx::tensor<float, 2, 3> p = tfx::softmax<-2>(a);
    tfx::tensor<float, 2, 3> x = tfx::exp(tfx::cast<float>(tfx::tensor<int, 2, 3>{}));
    tfx::tensor<float, 2, 3> w = tfx::where(c > 0.f, a, b);
    return int(s(0) + m() + m2(0) + float(i(0)) + p(0, 0) + x(0, 0) + w(0, 0) + e.size() + float(f(0, 0)));
}
