#pragma once
// Scratch memory for the intermediate results of an evaluation. An eager assignment uses a
// workspace that lives for that assignment; a tfx::function keeps one across calls, so that after
// the first call with given shapes, intermediates reuse the same memory and nothing is allocated.
// Requests are served in order: the k-th request of an evaluation gets slot k, which is only
// reallocated when it must grow.
#include <cstdlib>
#include <algorithm>
#include <new>
#include <vector>

#include "../core/config.hpp"
#include "../expr/node.hpp"

namespace tfx {

class workspace {
   public:
    workspace() = default;
    workspace(const workspace&) = delete;
    workspace& operator=(const workspace&) = delete;
    ~workspace() {
        for (auto& s : slots_) std::free(s.p);
    }

    // Start a new evaluation: slots are handed out from the first again.
    void rewind() noexcept {
        cursor_ = 0;
        memo_.clear();  // both keep their capacity
        words_.clear();
    }

    // A loop body evaluated many times in one evaluation (scan, while_loop) takes the same slots on
    // every iteration: mark before the body, release after it. Kernel results remembered inside the
    // body are forgotten (the body's inputs change from one iteration to the next).
    struct mark_t {
        std::size_t cursor, memo, words;
    };
    mark_t mark() const noexcept { return {cursor_, memo_.size(), words_.size()}; }
    void release(const mark_t& m) noexcept {
        cursor_ = m.cursor;
        memo_.resize(m.memo);
        words_.resize(m.words);
    }

    template <class T>
    T* get(std::size_t n) {
        const std::size_t bytes = (n * sizeof(T) + alignment - 1) / alignment * alignment;
        if (cursor_ == slots_.size()) slots_.push_back(slot{});
        slot& s = slots_[cursor_++];
        if (s.bytes < bytes) {
            std::free(s.p);
            s.p = nullptr;
            s.bytes = 0;
            s.p = std::aligned_alloc(alignment, bytes ? bytes : alignment);
            if (!s.p) throw std::bad_alloc();
            s.bytes = bytes;
            ++allocations_;
        }
        return static_cast<T*>(s.p);
    }

    // Common subexpressions: a kernel node's result is remembered for the rest of the evaluation
    // (until rewind), and a later node of the same type with the same leaves and values reuses it.
    template <class T, class E>
    const T* recall(const E& e) {
        const std::size_t at = words_.size();
        identity_words(e, words_);
        const T* found = find<T, E>(at);
        words_.resize(at);  // keeps the capacity
        return found;
    }
    template <class E, class T>
    void remember(const E& e, const T* data) {
        remember_uncounted(e, data);
        ++computed_;
    }
    // The same for the usual pattern, recall, else compute and remember, in one frame: on a miss
    // the node's identity words stay in place and remember(p, e, data) uses them instead of
    // writing them again. (Nested lookups of the computation append after them.)
    struct probe {
        std::size_t at = 0, length = 0;
        bool kept = false;
    };
    template <class T, class E>
    const T* recall(const E& e, probe& p) {
        const std::size_t at = words_.size();
        identity_words(e, words_);
        const T* found = find<T, E>(at);
        if (found)
            words_.resize(at);
        else
            p = probe{at, words_.size() - at, true};
        return found;
    }
    template <class E, class T>
    void remember(const probe& p, const E& e, const T* data) {
        if (!p.kept || p.at + p.length > words_.size()) return remember(e, data);
        memo_.push_back(memo_entry{key_of<E>(), p.at, p.length, data});
        ++computed_;
    }
    // Is a result of node e remembered in this evaluation? (A look, not a reuse: nothing is counted.)
    template <class E>
    bool known(const E& e) {
        const std::size_t at = words_.size();
        identity_words(e, words_);
        const bool found = match(key_of<E>(), at) != nullptr;
        words_.resize(at);
        return found;
    }

    // Epilogue fusion under a tfx::function (expr/matmul.hpp): the GEMM writes an elementwise map of
    // its product straight into the map's output, and the product itself is only stored (and
    // remembered) where something may read it again. A plan learns that in its first call: the
    // products stored there (kept_product) and the kernel results read again (any recall hit) are
    // noted, and learn_products(), at the end of the first call that completed, lists the products
    // never read again; from then on product_unread says they need not be stored. A later call
    // that reads one anyway (a data-dependent branch) finds nothing and computes it again: a
    // miss, not an error. The notes are per node type; types are compared, not nodes.
    template <class E>
    static const void* type_key() noexcept {
        return key_of<E>();
    }
    // A kernel's by-products that its gradient may read (logsumexp's terms for its softmax, the
    // loss's kept rows), remembered as the result of node type E. byproduct_memory takes the
    // memory on every call, used or not, so that the workspace's slots keep their order, and
    // returns null once the plan has learnt that nothing reads them (a function without a
    // gradient). keep_byproduct, after the kernel wrote them, remembers them as the result of node
    // e (not counted as a kernel computed) and notes them as kept for learn_products.
    template <class E, class T>
    T* byproduct_memory(std::size_t n) {
        T* p = get<T>(n);
        return product_unread(key_of<E>()) ? nullptr : p;
    }
    template <class E, class T>
    void keep_byproduct(const E& e, const T* data) {
        remember_uncounted(e, data);
        kept_product(key_of<E>());
    }

    bool products_learned() const noexcept { return learned_; }
    void kept_product(const void* key) {
        if (!learned_ && std::find(kept_.begin(), kept_.end(), key) == kept_.end()) kept_.push_back(key);
    }
    bool product_unread(const void* key) const noexcept {
        return learned_ && std::find(unread_.begin(), unread_.end(), key) != unread_.end();
    }
    void learn_products() {
        for (const void* k : kept_)
            if (std::find(read_again_.begin(), read_again_.end(), k) == read_again_.end()) unread_.push_back(k);
        learned_ = true;
        kept_ = {};
        read_again_ = {};
    }
    // Counts of fused products (tests and diagnostics): fused() for each, unkept too when the
    // product is not stored (it is still a kernel result computed).
    void fused() noexcept { ++fused_; }
    void computed_unkept() noexcept {
        ++computed_;
        ++unkept_;
    }
    std::size_t products_fused() const noexcept { return fused_; }
    std::size_t products_unkept() const noexcept { return unkept_; }

    // Kernel results computed and reused since the workspace was made (tests of the CSE).
    std::size_t kernels_computed() const noexcept { return computed_; }
    std::size_t kernels_reused() const noexcept { return reused_; }

    // How many times memory was allocated (for tests of the no-allocation guarantee).
    std::size_t allocations() const noexcept { return allocations_; }
    std::size_t slots() const noexcept { return slots_.size(); }

   private:
    template <class E, class T>
    void remember_uncounted(const E& e, const T* data) {
        const std::size_t at = words_.size();
        identity_words(e, words_);
        memo_.push_back(memo_entry{key_of<E>(), at, words_.size() - at, data});
    }
    struct slot {
        void* p = nullptr;
        std::size_t bytes = 0;
    };
    // A remembered kernel result: the node's type, its identity words (a range of words_: nodes
    // are not referenced, they may be temporaries that are gone by the next lookup) and the data.
    struct memo_entry {
        const void* key;
        std::size_t offset;
        std::size_t length;
        const void* data;
    };
    // The remembered entry of a node with type key `key` whose identity words are words_[at, end).
    const memo_entry* match(const void* key, std::size_t at) const {
        const std::size_t n = words_.size() - at;
        for (const auto& m : memo_)
            if (m.key == key && m.length == n &&
                std::equal(words_.begin() + std::ptrdiff_t(m.offset), words_.begin() + std::ptrdiff_t(m.offset + n),
                           words_.begin() + std::ptrdiff_t(at)))
                return &m;
        return nullptr;
    }
    // The same as a reuse of the result: counted, and noted for learn_products.
    template <class T, class E>
    const T* find(std::size_t at) {
        const memo_entry* m = match(key_of<E>(), at);
        if (!m) return nullptr;
        ++reused_;
        if (!learned_ && std::find(read_again_.begin(), read_again_.end(), m->key) == read_again_.end())
            read_again_.push_back(m->key);
        return static_cast<const T*>(m->data);
    }
    template <class E>
    static const void* key_of() {
        static const char k = 0;
        return &k;
    }
    std::vector<slot> slots_;
    std::vector<memo_entry> memo_;
    std::vector<std::uint64_t> words_;
    std::vector<const void*> kept_, read_again_, unread_;  // products, see learn_products
    bool learned_ = false;
    std::size_t cursor_ = 0;
    std::size_t allocations_ = 0;
    std::size_t computed_ = 0;
    std::size_t reused_ = 0;
    std::size_t fused_ = 0;
    std::size_t unkept_ = 0;
};

}  // namespace tfx
