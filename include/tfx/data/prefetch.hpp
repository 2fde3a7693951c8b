#pragma once
// ds.prefetch(n): a background std::thread runs the upstream stages and keeps up to n elements
// ready in a bounded queue. Elements arrive in order; an exception thrown upstream is carried to the
// consumer and rethrown there, after the elements produced before it. When the consumer stops early
// (the iterator is destroyed: a break, an exception, the end of a take) the thread is told to stop,
// woken if it waits for room, and joined: nothing is left running and nothing leaks. The queue's
// slots are reused: the consumer's previous element goes back to the producer as storage.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../core/parallel.hpp"
#include "dataset.hpp"

namespace tfx::data {

namespace detail {
// A wake-up through a condition variable costs tens of microseconds on a loaded machine, often
// more than the producer needs for the next element: the consumer polls for up to 50 us before
// sleeping. (The producer does not: when the queue is full the consumer is busy, and polling
// would only take CPU time from it.)
template <class F>
void spin_until(F&& ready) {
    if (ready()) return;
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
    for (unsigned i = 1; !ready(); ++i) {
        if (i % 16 == 0 && std::chrono::steady_clock::now() > until) return;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#else
        std::this_thread::yield();
#endif
    }
}
}  // namespace detail

template <class D>
class prefetch_dataset : public dataset_base<prefetch_dataset<D>> {
    D up_;
    std::size_t n_;

   public:
    using element_type = element_t<D>;

    prefetch_dataset(D up, std::int64_t buffer_size) : up_(std::move(up)) {
        if (buffer_size < 1)
            throw value_error("tfx: prefetch: buffer_size must be at least 1, got " + std::to_string(buffer_size));
        n_ = std::size_t(buffer_size);
    }

    class cursor {
        // Everything the producer touches, at a stable address.
        struct queue {
            typename D::cursor up;
            std::vector<element_type> slots;
            std::size_t head = 0, tail = 0;
            bool stop = false;
            std::exception_ptr error;
            // Changed under m only; atomic so that the consumer may look without it (spin_until), on
            // a cache line of their own so that looking does not slow the producer's locking.
            alignas(64) std::atomic<std::size_t> filled{0};  // slots [head, head + filled) are ready
            std::atomic<bool> done{false};
            alignas(64) std::mutex m;
            std::condition_variable can_put, can_take;

            queue(typename D::cursor c, std::size_t n) : up(std::move(c)), slots(n) {}

            void produce() {
                for (;;) {
                    std::size_t slot;
                    {
                        std::unique_lock lk(m);
                        can_put.wait(lk, [&] { return stop || filled < slots.size(); });
                        if (stop) return;
                        slot = tail;  // not visible to the consumer until counted in filled
                    }
                    bool got = false;
                    try {
                        got = up.next(slots[slot]);
                    } catch (...) {
                        std::lock_guard lk(m);
                        error = std::current_exception();
                    }
                    {
                        std::lock_guard lk(m);
                        if (got) {
                            tail = (tail + 1) % slots.size();
                            ++filled;
                        } else {
                            done = true;
                        }
                    }
                    can_take.notify_one();
                    if (!got) return;
                }
            }
        };
        std::unique_ptr<queue> q_;
        std::thread thread_;

       public:
        cursor(typename D::cursor up, std::size_t n) : q_(std::make_unique<queue>(std::move(up), n)) {
            // The producer counts against the kernels' thread pool while it runs, and the kernels it
            // calls (in map functions) run on it alone: no oversubscription (core/parallel.hpp).
            thread_ = std::thread([q = q_.get()] {
                tfx::detail::background_thread_scope background;
                q->produce();
            });
        }
        cursor(cursor&&) noexcept = default;
        cursor& operator=(cursor&&) = delete;
        ~cursor() {
            if (!q_) return;  // moved from
            {
                std::lock_guard lk(q_->m);
                q_->stop = true;
            }
            q_->can_put.notify_all();
            thread_.join();  // waits at most for the element being produced
        }

        bool next(element_type& out) {
            detail::spin_until([&] {
                return q_->filled.load(std::memory_order_acquire) > 0 || q_->done.load(std::memory_order_acquire);
            });
            {
                std::unique_lock lk(q_->m);
                q_->can_take.wait(lk, [&] { return q_->filled > 0 || q_->done; });
                if (q_->filled == 0) {
                    if (q_->error) std::rethrow_exception(std::exchange(q_->error, nullptr));
                    return false;
                }
                detail::transfer(out, q_->slots[q_->head]);  // the slot keeps out's old storage
                q_->head = (q_->head + 1) % q_->slots.size();
                --q_->filled;
            }
            q_->can_put.notify_one();
            return true;
        }
    };
    cursor make_cursor() const { return cursor(up_.make_cursor(), n_); }
    std::int64_t cardinality() const { return up_.cardinality(); }
};

template <class D>
auto dataset_base<D>::prefetch(std::int64_t buffer_size) const& {
    return prefetch_dataset<D>(self(), buffer_size);
}
template <class D>
auto dataset_base<D>::prefetch(std::int64_t buffer_size) && {
    return prefetch_dataset<D>(std::move(*this).self(), buffer_size);
}

}  // namespace tfx::data
