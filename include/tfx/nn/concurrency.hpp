#pragma once
// How a model is shared between threads (docs/threads.md):
//  - predict may run on several threads at once. Each thread gets its own compiled function and
//    output buffers (the reference predict returns is valid until that thread's next predict);
//  - fit, evaluate, train_on_batch, test_on_batch and load_weights change the model: they need it
//    to themselves, and are refused with a tfx::usage_error while another thread trains or predicts
//    with it (and predict is refused while another thread trains it). The same thread may nest them
//    (a callback that predicts or evaluates inside fit).
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../core/errors.hpp"

namespace tfx {

// A call that is not allowed in the state the object is in (here: a model used from two threads).
class usage_error : public error {
   public:
    using error::error;
};

namespace models::detail {

// Readers (predict) and one writer (training), counted in one atomic: n > 0 readers, -1 a writer.
// Never blocks: a conflicting use is an error, not a wait, since it is a bug in the caller.
class use_guard {
   public:
    use_guard() = default;
    // A copy or a moved-to model is a new object, not in use.
    use_guard(const use_guard&) noexcept {}
    use_guard& operator=(const use_guard&) noexcept { return *this; }

    class scope {
       public:
        scope(const scope&) = delete;
        scope& operator=(const scope&) = delete;
        ~scope() {
            if (!g_) return;
            if (exclusive_) {
                if (--g_->depth_ == 0) {
                    g_->owner_.store(std::thread::id{}, std::memory_order_relaxed);
                    g_->users_.store(0, std::memory_order_release);
                }
            } else {
                g_->users_.fetch_sub(1, std::memory_order_release);
            }
        }

       private:
        friend class use_guard;
        scope(use_guard* g, bool exclusive) : g_(g), exclusive_(exclusive) {}
        use_guard* g_;
        bool exclusive_;
    };

    // For predict: shared with other predicts; refused while another thread trains.
    [[nodiscard]] scope shared(const char* op) {
        int u = users_.load(std::memory_order_relaxed);
        do {
            if (u < 0) {
                if (owner_.load(std::memory_order_relaxed) == std::this_thread::get_id()) return scope(nullptr, false);
                throw usage_error(std::string("tfx: ") + op +
                                  ": the model is being trained on another thread; a model cannot be read while it "
                                  "changes (predict on a copy, or after fit returns)");
            }
        } while (!users_.compare_exchange_weak(u, u + 1, std::memory_order_acquire, std::memory_order_relaxed));
        return scope(this, false);
    }
    // For training and loading: the model to this thread alone.
    [[nodiscard]] scope exclusive(const char* op) {
        const auto me = std::this_thread::get_id();
        int u = 0;
        if (users_.compare_exchange_strong(u, -1, std::memory_order_acquire, std::memory_order_relaxed)) {
            owner_.store(me, std::memory_order_relaxed);
            depth_ = 1;
            return scope(this, true);
        }
        if (u < 0 && owner_.load(std::memory_order_relaxed) == me) {
            ++depth_;
            return scope(this, true);
        }
        throw usage_error(std::string("tfx: ") + op +
                          (u < 0 ? ": the model is being trained on another thread; training one model from two "
                                   "threads is not supported"
                                 : ": the model is in use by predict on another thread; it cannot change until "
                                   "those calls return") +
                          "; the model is unchanged");
    }

   private:
    std::atomic<int> users_{0};
    std::atomic<std::thread::id> owner_{};
    int depth_ = 0;  // nesting of exclusive scopes, touched only by the owner
};

// One Fn per calling thread, made on that thread's first call (a copy of the prototype). The first
// thread to call takes the built-in one without a lock; others find theirs under a mutex.
template <class Fn>
class per_thread {
   public:
    explicit per_thread(Fn f) : first_(std::move(f)) {}
    per_thread(const per_thread& o) : first_(o.first_) {}
    per_thread(per_thread&& o) noexcept : first_(std::move(o.first_)) {}
    per_thread& operator=(const per_thread& o) {
        if (this != &o) {
            first_ = o.first_;
            reset();
        }
        return *this;
    }
    per_thread& operator=(per_thread&& o) noexcept {
        first_ = std::move(o.first_);
        reset();
        return *this;
    }

    Fn& local() {
        const auto me = std::this_thread::get_id();
        auto o = owner_.load(std::memory_order_acquire);
        if (o == me) return first_;
        if (o == std::thread::id{} && owner_.compare_exchange_strong(o, me, std::memory_order_acq_rel)) return first_;
        std::lock_guard lock(m_);
        for (auto& [id, f] : others_)
            if (id == me) return *f;
        others_.emplace_back(me, std::make_unique<Fn>(first_));
        return *others_.back().second;
    }
    // How many threads have their own (for tests).
    std::size_t threads() {
        std::lock_guard lock(m_);
        return others_.size() + (owner_.load() != std::thread::id{} ? 1 : 0);
    }

   private:
    void reset() {
        owner_.store(std::thread::id{});
        std::lock_guard lock(m_);
        others_.clear();
    }
    Fn first_;
    std::atomic<std::thread::id> owner_{};
    std::mutex m_;
    std::vector<std::pair<std::thread::id, std::unique_ptr<Fn>>> others_;
};

}  // namespace models::detail
}  // namespace tfx
