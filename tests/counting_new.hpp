#pragma once
// Replaces the global operator new and delete with versions that count the news, for the tests that
// a call allocates nothing (tests/test_autodiff_alloc.cpp, tests/test_optimizers.cpp,
// tests/mpi/test_mpi_models.cpp). Each counts, atomically, and allocates as the default one does (malloc
// and free underneath); every form is replaced, so that new and delete always come from one set.
// The definitions are weak and the counter is one inline variable, so several TUs of one executable
// can include this header: the linker keeps one copy of each, and they all read the same count.
// tfx's own memory (workspace slots: std::aligned_alloc; tensor storage: xsimd's aligned allocator)
// does not go through operator new: tests that need it counted look one level lower (malloc).
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace tfx_test {

inline std::atomic<std::size_t> operator_news{0};

inline void* counted_alloc(std::size_t n, std::size_t align) noexcept {
    operator_news.fetch_add(1, std::memory_order_relaxed);
    n = std::max<std::size_t>(n, 1);
    if (align <= alignof(std::max_align_t)) return std::malloc(n);
    return std::aligned_alloc(align, (n + align - 1) / align * align);
}
inline void* counted_or_throw(std::size_t n, std::size_t align) {
    if (void* p = counted_alloc(n, align)) return p;
    throw std::bad_alloc();
}

}  // namespace tfx_test

#define TFX_TEST_WEAK __attribute__((weak))
TFX_TEST_WEAK void* operator new(std::size_t n) { return tfx_test::counted_or_throw(n, 0); }
TFX_TEST_WEAK void* operator new[](std::size_t n) { return tfx_test::counted_or_throw(n, 0); }
TFX_TEST_WEAK void* operator new(std::size_t n, std::align_val_t a) { return tfx_test::counted_or_throw(n, std::size_t(a)); }
TFX_TEST_WEAK void* operator new[](std::size_t n, std::align_val_t a) { return tfx_test::counted_or_throw(n, std::size_t(a)); }
TFX_TEST_WEAK void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return tfx_test::counted_alloc(n, 0); }
TFX_TEST_WEAK void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return tfx_test::counted_alloc(n, 0); }
TFX_TEST_WEAK void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return tfx_test::counted_alloc(n, std::size_t(a));
}
TFX_TEST_WEAK void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return tfx_test::counted_alloc(n, std::size_t(a));
}
TFX_TEST_WEAK void operator delete(void* p) noexcept { std::free(p); }
TFX_TEST_WEAK void operator delete[](void* p) noexcept { std::free(p); }
TFX_TEST_WEAK void operator delete(void* p, std::size_t) noexcept { std::free(p); }
TFX_TEST_WEAK void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
TFX_TEST_WEAK void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
TFX_TEST_WEAK void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
TFX_TEST_WEAK void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
TFX_TEST_WEAK void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
TFX_TEST_WEAK void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
TFX_TEST_WEAK void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
TFX_TEST_WEAK void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
TFX_TEST_WEAK void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
#undef TFX_TEST_WEAK
