// expect-compile: ok
// The positive control for the cases above: the same calls, used correctly, compile warnings-free.
#include <tfx/io/checkpoint.hpp>

int main() {
    tfx::tensor<float, 3> w;
    const tfx::tensor<float, 3> c;
    tfx::checkpoint::save("ckpt.npz", tfx::checkpoint::bind("w", w), tfx::checkpoint::bind("c", c));
    tfx::checkpoint::restore("ckpt.npz", tfx::checkpoint::bind("w", w));
    tfx::io::save_npz("a.npz", "a", w, "b", c);
    auto t = tfx::io::load_npy<float, 3>("x.npy");
    (void)t;
}
