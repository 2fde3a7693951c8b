// expect: tfx: load_npy: the element type must be float, double, int32_t, int64_t, bool or uint8_t
#include <tfx/io/npy.hpp>

int main() {
    auto t = tfx::io::load_npy<char, 3>("x.npy");
    (void)t;
}
