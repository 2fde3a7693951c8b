// expect: tfx: save_npz: the arguments after the path are pairs: name, tensor
#include <tfx/io/npz.hpp>

int main() {
    tfx::tensor<float, 3> a;
    tfx::io::save_npz("a.npz", "a", a, "b");
}
