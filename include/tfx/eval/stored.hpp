#pragma once
// Values a tfx::function call may already hold in memory. value_node: a node whose value is its
// operand's (stop_gradient, forward_value, keep, logsumexp's softmax); only its name, derivatives
// and how it is read differ. stored_or_inline: the evaluator of such a node when it reads the
// stored memory where the call has it and evaluates the operand inline otherwise.
#include <optional>

#include "assign.hpp"

namespace tfx::detail {

template <class X>
struct value_node : expr_base<typename X::value_type, typename X::shape_type> {
    using T = typename X::value_type;
    static constexpr std::size_t R = X::rank;
    X x;
    explicit value_node(X x_) : x(std::move(x_)) {}
    auto children() const { return std::tie(x); }
    dims_t<R> dims() const { return x.dims(); }
    void eval_into(T* out, const dims_t<R>& d, eval_ctx& ctx) const { eval_block(x, out, d, ctx); }
};

// Reads through Stored (a leaf-like reader over the memory at known) when known is set, else
// through Inline, held in Holder: an evaluator's std::optional<Inline>, or in its loop form
// (evaluator.hpp) the inline reader's loop form itself.
template <class V, std::size_t R, class Stored, class Inline, class Holder = std::optional<Inline>>
struct choice_reader {
    using value_type = V;
    Stored stored{};   // used when known
    Holder inlined{};  // otherwise
    const V* known = nullptr;

    template <class U>
    static constexpr bool simd_as = Stored::template simd_as<U> && Inline::template simd_as<U>;

    void bind(const dims_t<R>& out) {
        if (known)
            stored.bind(out);
        else
            in().bind(out);
    }
    void seek(const dims_t<R>& idx) {
        if (known)
            stored.seek(idx);
        else
            in().seek(idx);
    }
    V get(std::size_t i) const { return known ? stored.get(i) : static_cast<V>(in().get(i)); }
    template <class B>
    B load(std::size_t i) const {
        return known ? stored.template load<B>(i) : B(in().template load<B>(i));
    }
    template <class B>
    B load_tail(std::size_t i, std::size_t r) const {
        return known ? stored.template load_tail<B>(i, r) : B(in().template load_tail<B>(i, r));
    }
    bool simd_valid() const { return known ? stored.simd_valid() : in().simd_valid(); }
    bool flat_ok(const dims_t<R>& out) const { return known ? stored.flat_ok(out) : in().flat_ok(out); }

    Inline& in() {
        if constexpr (std::is_same_v<Holder, Inline>)
            return inlined;
        else
            return *inlined;
    }
    const Inline& in() const {
        if constexpr (std::is_same_v<Holder, Inline>)
            return inlined;
        else
            return *inlined;
    }
};

// The evaluator's form. The derived evaluator's constructor sets known and stored, or emplaces
// inlined, and sets dims.
template <class V, std::size_t DR, std::size_t R, class Stored, class Inline>
struct stored_or_inline : choice_reader<V, R, Stored, Inline> {
    dims_t<DR> dims;
};

// Its loop form: the loop forms of both readers and which one is used.
template <class V, std::size_t R, class Stored, class Inline>
using loop_choice = choice_reader<V, R, Stored, Inline, Inline>;

template <class V, std::size_t DR, std::size_t R, class Stored, class Inline>
auto to_loop(const stored_or_inline<V, DR, R, Stored, Inline>& e)
    -> loop_choice<V, R, decltype(to_loop(std::declval<const Stored&>())), decltype(to_loop(std::declval<const Inline&>()))> {
    loop_choice<V, R, decltype(to_loop(std::declval<const Stored&>())), decltype(to_loop(std::declval<const Inline&>()))> l;
    l.known = e.known;
    if (l.known)
        l.stored = to_loop(e.stored);
    else
        l.inlined = to_loop(*e.inlined);
    return l;
}

}  // namespace tfx::detail
