#pragma once
// Intra-op parallelism: one small persistent thread pool per process, owned by tfx, that the kernels
// large enough to profit (GEMM, and through it conv and dense layers; big elementwise clusters)
// split their work over.
//
//   tfx::set_num_threads(n)   n threads take part in a kernel (the caller and n - 1 workers);
//                             0 restores the default: the TFX_NUM_THREADS environment variable if
//                             set, else the hardware threads. 1 runs every kernel on the calling
//                             thread, exactly the single-threaded code.
//   tfx::get_num_threads()
//
// Results do not depend on the thread count: the kernels split their output, never a sum, so every
// value is computed by the same operations in the same order whichever thread computes it (tested
// bit for bit against one thread).
//
// No oversubscription: a region runs on at most get_num_threads() threads minus the background
// threads tfx itself runs (a prefetch stage's producer), and never nests: a kernel called from a
// worker, from a background thread, or while another thread's region holds the pool, runs on its own
// thread. A region's tasks run with the caller's flush-to-zero setting (flush_denormals); floating-
// point exception flags they raise stay on the thread that ran them. A region allocates nothing; the workers are started by the first region that needs them
// (or after set_num_threads changed their number) and sleep on a futex between regions after a short
// spin.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "errors.hpp"
#include "fp_control.hpp"

namespace tfx {

namespace detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// TFX_NUM_THREADS if it is a positive integer, else the hardware threads (at least 1).
inline std::size_t default_num_threads() noexcept {
    if (const char* s = std::getenv("TFX_NUM_THREADS"); s && *s) {
        char* end = nullptr;
        const long v = std::strtol(s, &end, 10);
        if (end && *end == '\0' && v >= 1 && v <= 4096) return std::size_t(v);
        std::fprintf(stderr, "tfx: TFX_NUM_THREADS=\"%s\" is not a thread count from 1 to 4096; using the hardware threads\n", s);
    }
    const unsigned h = std::thread::hardware_concurrency();
    return h ? h : 1;
}

// True on a pool worker, inside a region on the calling thread, and on tfx's background threads:
// kernels called there run serially.
inline bool& serial_thread() noexcept {
    static thread_local bool serial = false;
    return serial;
}

class thread_pool {
   public:
    static constexpr std::size_t max_threads = 4096;

    static thread_pool& instance() {
        static thread_pool pool;
        return pool;
    }

    std::size_t num_threads() const noexcept { return threads_.load(std::memory_order_relaxed); }

    void set_num_threads(std::size_t n) {
        std::lock_guard lk(region_);  // waits for a running region to finish
        if (n == 0) n = default_num_threads();
        n = std::min<std::size_t>(n, max_threads);
        if (n != threads_.load(std::memory_order_relaxed)) {
            stop_workers();
            threads_.store(n, std::memory_order_relaxed);
        }
    }

    // How many threads a region started now would run on (1: it would run serially).
    std::size_t available() const noexcept {
        if (serial_thread()) return 1;
        const std::size_t n = num_threads();
        const std::size_t bg = background_.load(std::memory_order_relaxed);
        return n > bg + 1 ? n - bg : 1;
    }

    // Runs f(t) for every t in [0, tasks) and returns when all have returned. Task t runs on
    // participant t % P, so a kernel called with the same sizes gives each thread the same work (its
    // thread_local buffers reach their size once). The first exception thrown by a task is rethrown
    // here, after every task has finished or been skipped.
    template <class F>
    void run(std::size_t tasks, F& f) {
        run_erased(tasks, [](void* ctx, std::size_t t) { (*static_cast<F*>(ctx))(t); }, &f);
    }
    // The same with the task type erased: compiled once, whatever the kernel.
    void run_erased(std::size_t tasks, void (*fn)(void*, std::size_t), void* ctx) {
        std::size_t p = std::min(tasks, available());
        std::unique_lock lk(region_, std::defer_lock);
        if (p > 1 && !lk.try_lock()) p = 1;  // another thread's region has the pool
        if (p > 1) p = std::min(p, ensure_workers());
        if (p <= 1) {
            const bool was = serial_thread();
            serial_thread() = true;
            try {
                for (std::size_t t = 0; t < tasks; ++t) fn(ctx, t);
            } catch (...) {
                serial_thread() = was;
                throw;
            }
            serial_thread() = was;
            return;
        }
        regions_.fetch_add(1, std::memory_order_relaxed);
        job_.fn = fn;
        job_.ctx = ctx;
        job_.tasks = tasks;
        job_.participants = p;
        job_.fp = get_fp_control() & flush_bits;
        job_.failed.store(false, std::memory_order_relaxed);
        job_.error = nullptr;
        job_.pending.store(unsigned(p - 1), std::memory_order_relaxed);
        // One store tells the workers that a job is there and which of them it wants.
        const unsigned g = generation_.load(std::memory_order_relaxed);
        generation_.store(next_generation(g) | unsigned(p - 1), std::memory_order_release);
        generation_.notify_all();
        serial_thread() = true;
        work(0);
        serial_thread() = false;
        for (unsigned spin = 0;; ++spin) {
            const unsigned left = job_.pending.load(std::memory_order_acquire);
            if (left == 0) break;
            if (spin < 4096)
                cpu_relax();
            else
                job_.pending.wait(left, std::memory_order_acquire);
        }
        if (job_.error) {
            std::exception_ptr e = std::move(job_.error);
            job_.error = nullptr;
            std::rethrow_exception(e);
        }
    }

    // Regions that ran on more than one thread since the start (for tests and profiling).
    std::uint64_t regions() const noexcept { return regions_.load(std::memory_order_relaxed); }

    // A background thread of tfx (prefetch) counts against the region width while it lives.
    void background_started() noexcept { background_.fetch_add(1, std::memory_order_relaxed); }
    void background_stopped() noexcept { background_.fetch_sub(1, std::memory_order_relaxed); }

    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    ~thread_pool() {
        std::lock_guard lk(region_);
        stop_workers();
    }

   private:
    struct job {
        void (*fn)(void*, std::size_t) = nullptr;
        void* ctx = nullptr;
        std::size_t tasks = 0;
        std::size_t participants = 0;
        fp_control_t fp = 0;  // the caller's flush-to-zero bits
        std::atomic<bool> failed{false};
        std::mutex error_m;
        std::exception_ptr error;
        alignas(64) std::atomic<unsigned> pending{0};  // workers still in the job
    };

    thread_pool() : threads_(default_num_threads()) {}

    void work(std::size_t me) noexcept {
        for (std::size_t t = me; t < job_.tasks; t += job_.participants) {
            if (job_.failed.load(std::memory_order_relaxed)) break;
            try {
                job_.fn(job_.ctx, t);
            } catch (...) {
                std::lock_guard lk(job_.error_m);
                if (!job_.error) job_.error = std::current_exception();
                job_.failed.store(true, std::memory_order_relaxed);
            }
        }
    }

    void worker(std::size_t me, unsigned seen) noexcept {
        serial_thread() = true;
        for (;;) {
            unsigned g = generation_.load(std::memory_order_acquire);
            for (unsigned spin = 0; g == seen; ++spin) {
                if (spin < 4096) {
                    cpu_relax();
                } else {
                    generation_.wait(seen, std::memory_order_acquire);
                }
                g = generation_.load(std::memory_order_acquire);
            }
            seen = g;
            if (stop_.load(std::memory_order_acquire)) return;
            if (me > (g & wanted_mask)) continue;  // not needed this time
            // The caller's denormal flushing (flush_denormals, which fit and predict set) holds
            // for its tasks here too: same results, same speed.
            if ((get_fp_control() & flush_bits) != job_.fp) set_flush_bits(job_.fp);
            work(me);
            if (job_.pending.fetch_sub(1, std::memory_order_acq_rel) == 1) job_.pending.notify_one();
        }
    }

    // Starts the workers if they are not running (under region_); returns the threads a region has.
    std::size_t ensure_workers() {
        const std::size_t n = threads_.load(std::memory_order_relaxed);
        if (workers_.size() + 1 == n) return n;
        stop_workers();
        try {
            workers_.reserve(n - 1);
            const unsigned g = generation_.load(std::memory_order_relaxed);
            for (std::size_t i = 1; i < n; ++i) workers_.emplace_back([this, i, g] { worker(i, g); });
        } catch (...) {  // no threads to be had: run serially
            stop_workers();
            return 1;
        }
        return n;
    }

    void stop_workers() noexcept {
        if (workers_.empty()) return;
        stop_.store(true, std::memory_order_release);
        generation_.store(next_generation(generation_.load(std::memory_order_relaxed)), std::memory_order_release);
        generation_.notify_all();
        for (auto& w : workers_) w.join();
        workers_.clear();
        stop_.store(false, std::memory_order_relaxed);
    }

    std::atomic<std::size_t> threads_;
    std::atomic<std::size_t> background_{0};
    std::atomic<std::uint64_t> regions_{0};
    std::mutex region_;  // held by the thread whose region runs on the pool
    std::vector<std::thread> workers_;
    job job_;
    // The job counter in the high bits; in the low bits, how many workers (1..that) the job wants.
    static constexpr unsigned wanted_bits = 12;
    static constexpr unsigned wanted_mask = (1u << wanted_bits) - 1;
    static unsigned next_generation(unsigned g) noexcept { return ((g >> wanted_bits) + 1) << wanted_bits; }
    alignas(64) std::atomic<unsigned> generation_{0};
    std::atomic<bool> stop_{false};
};

// Runs f(t) for t in [0, tasks) on the pool (see thread_pool::run).
template <class F>
void parallel_for(std::size_t tasks, F&& f) {
    if (tasks == 0) return;
    if (tasks == 1) {
        f(std::size_t(0));
        return;
    }
    thread_pool::instance().run(tasks, f);
}

// Threads a region started now would get (1 when it would run serially): kernels size their split
// with it, and stay serial when it is 1.
inline std::size_t parallel_width() noexcept {
    if (serial_thread()) return 1;
    return thread_pool::instance().available();
}

// Regions that ran on more than one thread since the start.
inline std::uint64_t parallel_regions() noexcept { return thread_pool::instance().regions(); }

// Marks the current thread as one of tfx's background threads for its lifetime: it counts against
// the pool's width, and kernels it calls run serially.
class background_thread_scope {
   public:
    background_thread_scope() noexcept {
        thread_pool::instance().background_started();
        serial_thread() = true;
    }
    ~background_thread_scope() { thread_pool::instance().background_stopped(); }
    background_thread_scope(const background_thread_scope&) = delete;
    background_thread_scope& operator=(const background_thread_scope&) = delete;
};

}  // namespace detail

// Threads that a large kernel (GEMM, conv, big elementwise clusters) runs on; see the top of this
// file. n = 0 restores the default (TFX_NUM_THREADS, else the hardware threads). Waits for a running
// region to finish; do not call it from inside a kernel's callback.
inline void set_num_threads(int n) {
    if (n < 0 || std::size_t(n) > detail::thread_pool::max_threads)
        throw value_error("tfx: set_num_threads: the thread count must be from 0 (the default) to 4096, got " + std::to_string(n));
    detail::thread_pool::instance().set_num_threads(std::size_t(n));
}

inline int get_num_threads() noexcept { return int(detail::thread_pool::instance().num_threads()); }

}  // namespace tfx
