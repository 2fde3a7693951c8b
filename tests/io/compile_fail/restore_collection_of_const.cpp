// expect: tfx: checkpoint::restore: a collection's for_each_variable handed f a const tensor
// A collection whose for_each_variable hands out const tensors cannot be restored into.
#include <tfx/io/checkpoint.hpp>

struct frozen {
    tfx::tensor<float, 3> w;
    template <class F>
    void for_each_variable(F&& f) const {
        f("w", w);
    }
};

int main() {
    frozen m;
    tfx::checkpoint::restore("ckpt.npz", m);
}
