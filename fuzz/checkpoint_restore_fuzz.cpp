// libFuzzer target: checkpoint::restore from an arbitrary file (through a memfd) into a fixed set
// of variables. Whatever the file, restore either succeeds or throws io_error; when it throws,
// no variable has changed (the strong guarantee).
#include <tfx/io/checkpoint.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

using tfx::dyn;
using tfx::tensor;

struct variables {
    tensor<float, 2, 3> kernel;
    tensor<float, 3> bias;
    tensor<std::int64_t> step;
    tensor<double, dyn> slot;  // empty: takes the file's shape
    tensor<bool, dyn, 2> mask{{true, false}};

    template <class Self, class F>
    static void visit(Self& self, F& f) {
        f("dense/kernel", self.kernel);
        f("dense/bias", self.bias);
        f("step", self.step);
        f("opt/slot", self.slot);
        f("mask", self.mask);
    }
    template <class F>
    void for_each_variable(F&& f) {
        visit(*this, f);
    }
    template <class F>
    void for_each_variable(F&& f) const {
        visit(*this, f);
    }
};

template <class T, tfx::index_t... E>
bool same(const tensor<T, E...>& a, const tensor<T, E...>& b) {
    return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

bool same(const variables& a, const variables& b) {
    return same(a.kernel, b.kernel) && same(a.bias, b.bias) && same(a.step, b.step) && same(a.slot, b.slot) &&
           same(a.mask, b.mask);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const int fd = ::memfd_create("tfx-fuzz-ckpt", 0);
    if (fd < 0) std::abort();
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != ::ssize_t(size)) std::abort();
    const std::string path = "/proc/self/fd/" + std::to_string(fd);

    variables v;
    v.kernel.fill(1.5f);
    v.step = std::int64_t(7);
    const variables before = v;
    try {
        tfx::checkpoint::restore(path, v);
    } catch (const tfx::io_error&) {
        if (!same(v, before)) std::abort();  // an error must leave every variable as it was
    }
    try {
        tfx::checkpoint::restore(path, tfx::checkpoint::expect_partial, tfx::checkpoint::bind("step", v.step));
    } catch (const tfx::io_error&) {
    }
    return 0;
}
