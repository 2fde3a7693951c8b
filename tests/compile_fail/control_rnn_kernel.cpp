// expect: tfx: lstm: expects x [batch, time, features] and a kernel [features, 4 units]
// An LSTM whose kernel has 5 input rows for inputs of 4 features.
#include <tfx/nn.hpp>

int main() {
    tfx::tensor<float, tfx::dyn, 3, 4> x(2);
    tfx::tensor<float, 5, 32> w;
    tfx::tensor<float, 8, 32> u;
    tfx::tensor<float, 32> b;
    auto h0 = tfx::broadcast_to_dims<tfx::shape<tfx::dyn, 8>>(tfx::scalar<float>(0.f), tfx::dims_t<2>{2, 8});
    auto out = tfx::rnn::lstm(x, w, u, b, h0, h0);
    (void)out;
}
