// Convolution and pooling allocate nothing after the first call of a tfx::function or of
// value_and_grad over a small CNN (include/tfx/expr/conv.hpp). Values: test_conv.cpp.
//
// Counting allocations: the suite is one executable and test_autodiff_alloc.cpp already replaces
// operator new (its counter is private to that file), so this file counts one level lower, in
// malloc, which every operator new (that one or libstdc++'s), xsimd's aligned tensor storage and
// the workspace's aligned_alloc all reach. The definitions below forward to glibc's own allocator
// (the __libc_* entry points) and only count, per thread; they are weak, so a stronger replacement
// elsewhere wins the link (and the liveness checks below then fail, rather than pass vacuously).
#include "conv_check.hpp"

#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define TFX_TEST_COUNT_MALLOC 1
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);
}
namespace {
thread_local std::size_t mallocs_on_this_thread = 0;  // constant-initialized: safe inside malloc
}
extern "C" {
__attribute__((weak)) void* malloc(std::size_t n) noexcept {
    ++mallocs_on_this_thread;
    return __libc_malloc(n);
}
__attribute__((weak)) void* calloc(std::size_t n, std::size_t m) noexcept {
    ++mallocs_on_this_thread;
    return __libc_calloc(n, m);
}
__attribute__((weak)) void* realloc(void* p, std::size_t n) noexcept {
    ++mallocs_on_this_thread;
    return __libc_realloc(p, n);
}
__attribute__((weak)) void* aligned_alloc(std::size_t a, std::size_t n) noexcept {
    ++mallocs_on_this_thread;
    return __libc_memalign(a, n);
}
__attribute__((weak)) void* memalign(std::size_t a, std::size_t n) noexcept {
    ++mallocs_on_this_thread;
    return __libc_memalign(a, n);
}
__attribute__((weak)) int posix_memalign(void** p, std::size_t a, std::size_t n) noexcept {
    ++mallocs_on_this_thread;
    void* r = __libc_memalign(a, n);
    if (!r) return ENOMEM;
    *p = r;
    return 0;
}
__attribute__((weak)) void free(void* p) noexcept { __libc_free(p); }
}
#else
#define TFX_TEST_COUNT_MALLOC 0
#endif

using namespace convtest;

// ---------------------------------------------------------------- memory

#if TFX_TEST_COUNT_MALLOC
namespace {
// Calls 2..10 of call(): how many allocations this thread made in them (nothing else runs here).
template <class Call>
std::size_t mallocs_in_calls_2_to_10(Call&& call) {
    call();
    const std::size_t before = mallocs_on_this_thread;
    for (int i = 2; i <= 10; ++i) call();
    return mallocs_on_this_thread - before;
}

// conv 3x3x1x16 (same) + relu, max pool 2x2, conv 3x3x16x32 (same) + relu, avg pool 2x2, global
// average pool, dense 32 -> 10, softmax cross-entropy.
auto cnn_loss = [](auto w1, auto b1, auto w2, auto b2, auto wd, auto x, auto y) {
    auto h1 = tfx::max_pool2d<2, 2>(relu(tfx::conv2d<1, 1, padding::same>(x, w1) + b1));
    auto h2 = tfx::avg_pool2d<2, 2>(relu(tfx::conv2d<1, 1, padding::same>(h1, w2) + b2));
    auto logits = matmul(tfx::global_average_pool2d(h2), wd);
    return mean(logsumexp<1>(logits) - gather<1, 1>(logits, y));
};
}  // namespace

TEST_CASE("conv2d and pooling under tfx::function and value_and_grad allocate nothing after the first call", "[conv]") {
    rng r(4301);
    tensor<float, dyn, 8, 8, 1> x(32);
    adtest::fill_uniform(x, r, -1, 1);
    tensor<std::int64_t, dyn> y(32);
    for (auto& v : y) v = std::int64_t(r.below(10));
    auto w1 = random_tensor<float, 3, 3, 1, 16>(r, 0, -0.5, 0.5);
    auto b1 = random_tensor<float, 16>(r, 0, -0.1, 0.1);
    auto w2 = random_tensor<float, 3, 3, 16, 32>(r, 0, -0.2, 0.2);
    auto b2 = random_tensor<float, 32>(r, 0, -0.1, 0.1);
    auto wd = random_tensor<float, 32, 10>(r, 0, -0.3, 0.3);

    SECTION("tfx::function of one conv layer") {
        auto f = tfx::function([](auto x, auto w, auto b) { return relu(tfx::conv2d<1, 1, padding::same>(x, w) + b); });
        const std::size_t at_start = mallocs_on_this_thread;
        const auto& out = f(x, w1, b1);
        CHECK(mallocs_on_this_thread > at_start);  // the first call plans (and the counter is live)
        const void* data = out.data();
        const std::size_t ws = f.stats().allocations;
        CHECK(mallocs_in_calls_2_to_10([&] { f(x, w1, b1); }) == 0);
        CHECK(f.stats().allocations == ws);
        CHECK(f(x, w1, b1).data() == data);
    }
    SECTION("value_and_grad of a small CNN") {
        auto vg = tfx::value_and_grad<0, 1, 2, 3, 4>(cnn_loss);
        const std::size_t at_start = mallocs_on_this_thread;
        const auto& out = vg(w1, b1, w2, b2, wd, x, y);
        CHECK(mallocs_on_this_thread > at_start);
        const float l0 = std::get<0>(out)();
        CHECK(std::isfinite(l0));
        const void* dw1 = std::get<1>(out).data();
        const void* dw2 = std::get<3>(out).data();
        const std::size_t ws = vg.stats().allocations;
        CHECK(mallocs_in_calls_2_to_10([&] { vg(w1, b1, w2, b2, wd, x, y); }) == 0);
        CHECK(vg.stats().allocations == ws);
        const auto& again = vg(w1, b1, w2, b2, wd, x, y);
        CHECK(std::get<0>(again)() == l0);
        CHECK(std::get<1>(again).data() == dw1);
        CHECK(std::get<3>(again).data() == dw2);
    }
}
#endif
