// residual_reference_step (subclassed_models.hpp): one SGD step on the residual model's loss by
// tfx::value_and_grad of the function written out, the reference of test_model_subclassed_step.cpp.
// A TU of its own, linked into tfx_tests (tests/CMakeLists.txt), so that neither file takes a minute
// to compile.
#include "subclassed_models.hpp"

namespace test_subclassed {

residual_sgd_step residual_reference_step(const residual& m, const tfx::tensor<float, tfx::dyn, 4>& x,
                                          const tfx::tensor<std::int64_t, tfx::dyn>& y, float learning_rate) {
    using namespace tfx;
    auto loss = [](auto w0, auto b0, auto w1, auto b1, auto gm, auto bt, auto w2, auto b2, auto x, auto y) {
        return -mean(gather<1, 1>(log_softmax<1>(residual_forward(w0, b0, w1, b1, gm, bt, w2, b2, x)), y));
    };
    auto [l, g0, gb0, g1, gb1, ggm, gbt, g2, gb2] = value_and_grad<0, 1, 2, 3, 4, 5, 6, 7>(loss)(
        m.stem.kernel, m.stem.bias, m.blk.hidden.kernel, m.blk.hidden.bias, m.blk.norm.gamma, m.blk.norm.beta, m.head.kernel,
        m.head.bias, x, y);
    residual_sgd_step r;
    r.loss = double(l());
    r.stem_kernel = m.stem.kernel - learning_rate * g0;
    r.hidden_kernel = m.blk.hidden.kernel - learning_rate * g1;
    r.norm_gamma = m.blk.norm.gamma - learning_rate * ggm;
    r.head_bias = m.head.bias - learning_rate * gb2;
    return r;
}

}  // namespace test_subclassed
