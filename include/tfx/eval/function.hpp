#pragma once
// tfx::function(f): f is a generic lambda from tensors to an expression (or a tuple of them). Each
// call passes f a symbol for every tensor argument — arg<I, T, shape>, a leaf tagged with its
// position — so the expression f returns is a graph over the arguments, whatever tensors they are.
// The graph is evaluated with a workspace and output tensors kept per argument signature: after
// the first call with given shapes, a call allocates nothing. Kernel nodes that occur twice (same
// type, same leaves, same values) are computed once.
//
// The result is a reference to the function's own output tensor(s), valid until the next call
// with the same argument types; copy it to keep it.
#include <algorithm>
#include <memory>
#include <tuple>
#include <vector>

#include "../expr/print.hpp"
#include "assign.hpp"
#include "workspace.hpp"

namespace tfx {

// The symbol for argument I of a traced function.
template <std::size_t I, class T, class S>
struct arg : expr_base<T, S> {
    static constexpr std::size_t index = I;
    const T* p = nullptr;
    dims_t<S::rank> d{};
    arg() = default;
    arg(const T* ptr, const dims_t<S::rank>& dims_) : p(ptr), d(dims_) {}
    const T* data() const { return p; }
    dims_t<S::rank> dims() const { return d; }
    auto children() const { return std::tuple<>(); }
};
template <std::size_t I, class T, class S>
struct is_leaf<arg<I, T, S>> : std::true_type {};

namespace detail {

template <std::size_t I, class A>
auto symbol_for(const A& a) {
    if constexpr (is_tensor_v<A>)
        return arg<I, typename A::value_type, typename A::shape_type>(a.data(), a.shape());
    else
        return a;  // numbers and other values reach f as they are
}

template <class R>
struct outputs_for {
    static_assert(expression<R>, "tfx: function: f must return an expression, a tensor, or a std::tuple of them");
    using type = tensor_of<R>;
};
template <class... R>
struct outputs_for<std::tuple<R...>> {
    using type = std::tuple<tensor_of<R>...>;
};

// A node's children (a tensor has none).
template <class E>
auto children_or_none(const E& e) {
    if constexpr (requires { e.children(); })
        return e.children();
    else
        return std::tuple<>{};
}
// Does a node of type X occur in the expression tree E (E itself included)? A compile-time walk
// over children(), for outputs that are also subexpressions of other outputs.
template <class X, class E>
struct occurs_in;
template <class X, class Children>
struct occurs_in_children : std::false_type {};
template <class X, class... C>
struct occurs_in_children<X, std::tuple<C...>> : std::disjunction<occurs_in<X, std::remove_cvref_t<C>>...> {};
template <class X, class E>
struct occurs_in
    : std::disjunction<std::is_same<X, E>, occurs_in_children<X, decltype(detail::children_or_none(std::declval<const E&>()))>> {};
// Output K of a tuple of outputs E is also read inside another output.
template <std::size_t K, class E>
constexpr bool output_shared() {
    return []<std::size_t... J>(std::index_sequence<J...>) {
        return ((J != K && occurs_in<std::tuple_element_t<K, E>, std::tuple_element_t<J, E>>::value) || ...);
    }(std::make_index_sequence<std::tuple_size_v<E>>{});
}

// Evaluates output x into out. Shared: x is a subexpression of another output too (a value and
// the gradient that reads it), so a kernel node's value is looked up and kept like any other
// kernel result (common subexpressions) and computed once.
template <bool Shared = false, class Out, class X>
void evaluate_output(Out& out, const X& x, eval_ctx& ctx) {
    if constexpr (is_tensor_v<X>) {
        out = x;
    } else {
        const auto d = x.dims();
        if (!dims_fit<typename Out::shape_type>(d))
            throw_shape_mismatch("tfx: function: output of shape ", d, " does not fit ", Out::shape_type::extents);
        if (references(x, out.data())) {  // an earlier result passed back in as an argument
            Out tmp(uninitialized, d);
            eval_block(x, tmp.data(), d, ctx);
            out = std::move(tmp);
            return;
        }
        if (out.shape() != d) out.resize(d);
        if constexpr (Shared && !is_elementwise_node<X>::value) {
            if (ctx.persistent) {
                using V = typename X::value_type;
                workspace::probe probe;
                if (const V* p = ctx.ws->template recall<V>(x, probe)) {
                    std::copy_n(p, dims_size(d), out.data());
                } else {
                    eval_block(x, out.data(), d, ctx);
                    ctx.ws->remember(probe, x, static_cast<const V*>(out.data()));
                }
                return;
            }
        }
        eval_block(x, out.data(), d, ctx);
    }
}

}  // namespace detail

// A traced callable may take a tag and the evaluation context first: gradients use the context to
// put the adjoints of shared nodes into workspace memory while the graph is being built. Nested is
// true when the graph being built will itself be differentiated (jvp of grad, grad of grad): its
// derivative passes must then stay pure expressions.
template <bool Nested>
struct traced_tag {
    static constexpr bool nested = Nested;
};

template <class F>
class function;

// A tfx::function, or a class derived from one (what value_and_grad returns).
template <class F>
struct is_function : std::bool_constant<requires { typename F::is_tfx_function; }> {};

namespace detail {
// Call f on symbols (or expressions), passing the tag and context when f takes them.
template <bool Nested = false, class F, class... X>
decltype(auto) invoke_traced(F& f, eval_ctx& ctx, const X&... x) {
    if constexpr (is_function<std::remove_cvref_t<F>>::value)
        return f.template trace<Nested>(ctx, x...);
    else if constexpr (std::is_invocable_v<F&, traced_tag<Nested>, eval_ctx&, const X&...>)
        return f(traced_tag<Nested>{}, ctx, x...);
    else
        return f(x...);
}

// A function's buffers for one argument signature: its workspace and its outputs. Outside the
// function template, so that functions with the same output types share one plan type (each
// plan type has a vtable and a destructor compiled in every TU that uses it).
struct function_plan_base {
    virtual ~function_plan_base() = default;
    workspace ws;
};
template <class Out>
struct function_plan : function_plan_base {
    Out out;
};
// A unique address per argument signature.
template <class Sig>
const void* signature_key() {
    static const char k = 0;
    return &k;
}
}  // namespace detail

template <class F>
class function {
   public:
    using is_tfx_function = void;
    explicit function(F f) : f_(std::move(f)) {}
    // A copy has the same f and its own (empty) plans: plans are caches, not state.
    function(const function& o) : f_(o.f_) {}
    function(function&&) noexcept = default;
    function& operator=(const function& o) {
        f_ = o.f_;
        plans_.clear();
        return *this;
    }
    function& operator=(function&&) noexcept = default;

    // Evaluates f on the arguments. Inside another transformation (grad of grad, jvp of grad) the
    // function is traced instead: trace returns its expression over the outer symbols.
    template <class... A>
    decltype(auto) operator()(const A&... a) & {
        return call(std::index_sequence_for<A...>{}, a...);
    }
    // On a temporary (tfx::value_and_grad(loss)(w, x, y)) the results are returned as new tensors:
    // references into the temporary would dangle.
    template <class... A>
    auto operator()(const A&... a) && {
        decltype(auto) r = call(std::index_sequence_for<A...>{}, a...);
        if constexpr (is_tensor_v<std::remove_cvref_t<decltype(r)>>)
            return std::remove_cvref_t<decltype(r)>(r);
        else
            return std::apply([](const auto&... t) { return std::tuple{std::remove_cvref_t<decltype(t)>(t)...}; }, r);
    }

    template <bool Nested = false, class... X>
    auto trace(detail::eval_ctx& ctx, const X&... x) {
        return detail::invoke_traced<Nested>(f_, ctx, x...);
    }

    // The graph f builds for these arguments, as to_string prints it (one tree per output). For
    // grad and value_and_grad this is the gradient graph; nothing is evaluated.
    template <class... A>
    std::string graph(const A&... a) {
        workspace ws;
        detail::eval_ctx ctx{nullptr, nullptr, &ws, true};
        auto e = [&]<std::size_t... I>(std::index_sequence<I...>) {
            return detail::invoke_traced<true>(f_, ctx, detail::symbol_for<I>(a)...);
        }(std::index_sequence_for<A...>{});
        if constexpr (expression<decltype(e)>)
            return to_string(e);
        else
            return std::apply([](const auto&... o) { return (std::string() + ... + to_string(o)); }, e);
    }

    // For tests and diagnostics, over all argument signatures: allocations of intermediate memory,
    // kernel results computed and reused (common subexpressions), and matmul products written with
    // an elementwise map by the GEMM's epilogue (fused), of which not stored (unkept: nothing in
    // the call reads the product again, as the plan's first call showed).
    struct statistics {
        std::size_t allocations = 0, kernels_computed = 0, kernels_reused = 0, products_fused = 0, products_unkept = 0;
    };
    statistics stats() const {
        statistics s;
        for (const auto& p : plans_) {
            s.allocations += p.second->ws.allocations();
            s.kernels_computed += p.second->ws.kernels_computed();
            s.kernels_reused += p.second->ws.kernels_reused();
            s.products_fused += p.second->ws.products_fused();
            s.products_unkept += p.second->ws.products_unkept();
        }
        return s;
    }

   private:
    template <class Out>
    using plan = detail::function_plan<Out>;
    // One plan per argument signature; found by a short scan, created on the first call. (The key
    // is shared with other functions' plans for the same signature: a function only compares it
    // with its own, and for it the signature decides the output types.)
    template <class Out, class... A>
    plan<Out>& plan_for() {
        const void* k = detail::signature_key<std::tuple<A...>>();
        for (auto& p : plans_)
            if (p.first == k) return static_cast<plan<Out>&>(*p.second);
        plans_.emplace_back(k, std::make_unique<plan<Out>>());
        return static_cast<plan<Out>&>(*plans_.back().second);
    }

    template <std::size_t... I, class... A>
    decltype(auto) call(std::index_sequence<I...>, const A&... a) {
        using E = decltype(detail::invoke_traced(f_, std::declval<detail::eval_ctx&>(), detail::symbol_for<I>(a)...));
        using Out = typename detail::outputs_for<E>::type;
        auto& p = plan_for<Out, A...>();
        p.ws.rewind();
        detail::eval_ctx ctx{nullptr, nullptr, &p.ws, true};
        auto e = detail::invoke_traced(f_, ctx, detail::symbol_for<I>(a)...);
        if constexpr (is_tensor_v<Out>) {
            detail::evaluate_output(p.out, e, ctx);
            if (!p.ws.products_learned()) p.ws.learn_products();
            return static_cast<const Out&>(p.out);
        } else {
            [&]<std::size_t... K>(std::index_sequence<K...>) {
                (detail::evaluate_output<detail::output_shared<K, E>()>(std::get<K>(p.out), std::get<K>(e), ctx), ...);
            }(std::make_index_sequence<std::tuple_size_v<E>>{});
            if (!p.ws.products_learned()) p.ws.learn_products();
            return std::apply([](const auto&... o) { return std::tie(o...); }, p.out);
        }
    }

    F f_;
    std::vector<std::pair<const void*, std::unique_ptr<detail::function_plan_base>>> plans_;
};

}  // namespace tfx
