#pragma once
// Subclassed models: a plain struct of layers (and of other such structs), adapted for reflection
// with TFX_MODEL, with a templated call(ctx, x):
//
//   struct mlp {
//       static constexpr auto input = layers::input<64>;
//       layers::layer<layers::dense<128>(activations::relu), 64> hidden;
//       layers::layer<layers::dropout(0.2f), 128> drop;
//       layers::layer<layers::dense<10>(), 128> out;
//       template <class Ctx, class X>
//       auto call(Ctx& ctx, const X& x) { return ctx(out, ctx(drop, ctx(hidden, x))); }
//   };
//   TFX_MODEL(mlp, hidden, drop, out)       // at namespace scope, outside any namespace
//   models::model<mlp> m;                   // the Keras API: compile, fit, evaluate, predict, ...
//
// ctx(layer, x) applies a layer (x: the model's input, what an earlier ctx call returned, or an
// expression of them); keep its result with `auto` or `const auto&`. For inference (predict, model(x)) it is the layer's expression, so
// the whole call fuses into one compiled function. For training it runs the layer's forward stages
// and records it on a tape; between layer calls any tfx expression may combine their outputs
// (residual connections: ctx(d2, ctx(d1, x) + x)): such an expression is evaluated once and
// differentiated by its op rules on the way back. Ctx::training tells call which mode it is in.
#include <boost/hana/accessors.hpp>
#include <boost/hana/adapt_struct.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/fold_left.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/core/to.hpp>
#include <boost/hana/string.hpp>

#include <algorithm>
#include <optional>

#include "model.hpp"

#define TFX_MODEL(Name, ...) BOOST_HANA_ADAPT_STRUCT(Name, __VA_ARGS__);

namespace tfx::models {

namespace detail {

template <class T>
concept built_layer = requires(T& l) {
    l.trainable();
    l.state();
    T::kind;
};
template <class T>
concept reflected = boost::hana::Struct<T>::value;

// Visits the built layers of a reflected struct, recursively, with their paths ("block/dense").
template <class S, class F>
void for_each_layer_of(S& s, const std::string& prefix, F&& f) {
    boost::hana::for_each(boost::hana::accessors<std::remove_const_t<S>>(), [&](auto pair) {
        const std::string name = prefix + boost::hana::to<const char*>(boost::hana::first(pair));
        auto& member = boost::hana::second(pair)(s);
        using Mb = std::remove_cvref_t<decltype(member)>;
        if constexpr (built_layer<Mb>)
            f(name, member);
        else if constexpr (reflected<Mb>)
            for_each_layer_of(member, name + "/", f);
    });
}

template <class X>
struct is_tref : std::false_type {};
template <class Tn>
struct is_tref<tref<Tn>> : std::true_type {};

// The training context: applies layers' training passes and keeps the tape the backward pass walks.
class tape {
    struct entry {
        virtual ~entry() = default;
        virtual const void* out() const = 0;
        virtual const void* key() const = 0;
        virtual void backward(tape& t) = 0;
        bool has_grad = false;
    };
    template <class Tn>
    static const void* key_of() {
        static const char k = 0;
        return &k;
    }
    template <class Tn>
    struct holder : entry {
        Tn grad;
        const Tn* y = nullptr;
        const void* out() const override { return y; }
        const void* key() const override { return key_of<Tn>(); }
        template <class G>
        void add(const G& g) {
            if (!has_grad) {
                grad = g;
                has_grad = true;
            } else {
                grad = grad + g;
            }
        }
    };
    template <class L>
    struct layer_entry : holder<typename L::output_type> {
        L* layer = nullptr;
        const typename L::input_type* input = nullptr;
        void backward(tape& t) override {
            if (!this->has_grad) return;
            using I = typename L::input_type::value_type;
            if constexpr (std::is_integral_v<I>) {
                layer->template backward<false>(this->grad);
            } else {
                if (input == t.input_) {
                    layer->template backward<false>(this->grad);
                } else {
                    const auto* dx = layer->template backward<true>(this->grad);
                    t.accumulate(input, *dx);
                }
            }
            t.mark(layer);
        }
    };
    template <class X>
    struct expr_entry : holder<tensor_of<X>> {
        std::optional<X> x;
        tensor_of<X> value;
        void backward(tape& t) override {
            if (this->has_grad) t.walk(*x, as_node(this->grad));
        }
    };

   public:
    static constexpr bool training = true;
    tape() = default;
    // A copy starts empty: the tape is per-step scratch, rebuilt by the next step.
    tape(const tape&) {}
    tape& operator=(const tape&) {
        entries_.clear();
        pos_ = 0;
        return *this;
    }

    // A layer's training pass on a tensor (the model's input or what earlier layers produced) or on
    // an expression of them (evaluated first).
    // The result is a reference leaf to the layer's output (so that `auto` keeps referring to it).
    template <class L, class X>
    tref<typename L::output_type> operator()(L& layer, const X& x) {
        if constexpr (is_tref<X>::value) {
            return (*this)(layer, x.get());
        } else if constexpr (!is_tensor_v<X>) {
            return (*this)(layer, eval(x).get());
        } else {
            static_assert(std::is_same_v<X, typename L::input_type>,
                          "tfx: model: a layer gets an input of another type or shape than it was built for (the layer's input "
                          "type, then what it gets, below)");
            for (const void* l : called_)
                if (l == &layer)
                    throw value_error("tfx: model: a layer is called twice in one training step (kind " + std::string(L::kind) +
                                      "); sharing a layer's weights between calls is not supported yet");
            called_.push_back(&layer);
            auto& e = slot<layer_entry<L>>();
            e.layer = &layer;
            e.input = &x;
            e.y = &layer.forward_train(x, ctx_);
            return tref<typename L::output_type>(*e.y);
        }
    }
    // An expression between layers, evaluated into the tape's memory and differentiated on the way back.
    template <class X>
    tref<tensor_of<X>> eval(const X& x) {
        if constexpr (is_tref<X>::value) {
            return x;
        } else {
            auto& e = slot<expr_entry<X>>();
            e.x.emplace(x);
            e.value = x;
            e.y = &e.value;
            return tref<tensor_of<X>>(e.value);
        }
    }

    void begin(const void* input, random::generator* gen) {
        input_ = input;
        ctx_.gen = gen;
        pos_ = 0;
        called_.clear();
        marked_.clear();
    }
    // Seeds dL/dy for the output and runs the entries backwards.
    template <class Tn>
    void backward(const Tn& y, const Tn& g) {
        for (std::size_t i = 0; i < pos_; ++i) entries_[i]->has_grad = false;
        below_ = pos_;
        accumulate(&y, g);
        for (std::size_t i = pos_; i-- > 0;) {
            below_ = i;
            entries_[i]->backward(*this);
        }
    }
    bool backwarded(const void* layer) const { return std::find(marked_.begin(), marked_.end(), layer) != marked_.end(); }

   private:
    template <class E>
    E& slot() {
        if (pos_ < entries_.size() && dynamic_cast<E*>(entries_[pos_].get()) == nullptr) entries_.resize(pos_);
        if (pos_ == entries_.size()) entries_.push_back(std::make_unique<E>());
        return static_cast<E&>(*entries_[pos_++]);
    }
    void mark(const void* layer) { marked_.push_back(layer); }

    // g's contribution to the tensor at t (if this step produced it; the model's input and tensors
    // from outside the step take none).
    // Only entries before the current one (`below`) can have produced its input: a layer that
    // passes its input through (dropout at rate 0) has the same output tensor as the layer before it.
    template <class Tn, class G>
    void accumulate(const Tn* t, const G& g) {
        for (std::size_t i = below_; i-- > 0;) {
            entry& e = *entries_[i];
            if (e.out() == t && e.key() == key_of<Tn>()) {
                static_cast<holder<Tn>&>(e).add(g);
                return;
            }
        }
    }
    template <class E, class G>
    void walk(const E& e, const G& g) {
        if constexpr (is_zero<G>) {
            return;
        } else if constexpr (is_leaf<E>::value) {
            if constexpr (requires { e.get(); }) {
                using Tn = std::remove_cvref_t<decltype(e.get())>;
                accumulate(&e.get(), reshape_to_shape<typename Tn::shape_type>(g, e.dims()));
            }
        } else if constexpr (!is_scalar_node<E>) {
            if constexpr (requires { e.body_reads(nullptr); })
                for (std::size_t i = below_; i-- > 0;)
                    if (e.body_reads(entries_[i]->out()))
                        throw value_error(std::string("tfx: model: a ") + E::name +
                                          " step in call reads a layer's output directly (captured); its gradient would be "
                                          "lost: pass the output to the loop as xs or as the carry");
            auto adj = tfx::detail::pull(e, g);
            [&]<std::size_t... C>(std::index_sequence<C...>) {
                (walk(std::get<C>(e.children()), std::get<C>(adj)), ...);
            }(std::make_index_sequence<std::tuple_size_v<decltype(adj)>>{});
        }
    }

    std::vector<std::unique_ptr<entry>> entries_;
    std::size_t pos_ = 0, below_ = 0;
    const void* input_ = nullptr;
    nn::train_context ctx_;
    std::vector<const void*> called_, marked_;
};

// The inference context: a layer call is the layer's expression.
struct inference_context {
    static constexpr bool training = false;
    template <class L, class X>
    auto operator()(const L& layer, const X& x) const {
        return layer(x);
    }
    template <class X>
    const X& eval(const X& x) const {
        return x;
    }
};

template <class M>
struct input_of_model {
    using type = typename M::input_type;
};
template <class M>
    requires requires { M::input; }
struct input_of_model<M> {
    using S = std::remove_cvref_t<decltype(M::input)>;
    using type = nn::detail::tensor_t<typename S::value_type, typename S::shape_type>;
};

}  // namespace detail

// models::model<M>: the Keras API over a reflected struct of layers (see the top of this file).
template <class M>
class model : public M, public model_api<model<M>, typename detail::input_of_model<M>::type> {
    static_assert(detail::reflected<M>, "tfx: model: the struct must be adapted with TFX_MODEL(Name, members...) (type below)");
    using api = model_api<model<M>, typename detail::input_of_model<M>::type>;
    friend api;

   public:
    using input_type = typename detail::input_of_model<M>::type;
    using output_type = tensor_of<decltype(std::declval<M&>().call(std::declval<detail::inference_context&>(),
                                                                    std::declval<const input_type&>()))>;
    using output_shape = typename output_type::shape_type;
    using value_type = typename output_type::value_type;
    static constexpr std::uint64_t default_seed = 1337;

    explicit model(M m = M{}) : M(std::move(m)) { initialize(random::generator{default_seed}); }

    void initialize(random::generator gen) {
        detail::for_each_layer_of(base(), "", [&](const std::string&, auto& l) { l.initialize(gen); });
        gen_ = gen;
    }

    // ---- variables, by path ("hidden/kernel", "block/dense/bias")
    template <class F>
    void for_each_variable(F&& f) {
        visit_variables(base(), f);
    }
    template <class F>
    void for_each_variable(F&& f) const {
        visit_variables(base(), f);
    }
    auto trainable_variables() { return trainables(base()); }
    std::vector<std::string> trainable_variable_names() const {
        std::vector<std::string> r;
        detail::for_each_layer_of(base(), "", [&]<class L>(const std::string& path, const L&) {
            for (const char* v : L::trainable_names) r.push_back(path + "/" + v);
        });
        return r;
    }
    std::size_t count_params() const {
        std::size_t n = 0;
        for_each_variable([&](std::string_view, const auto& t) { n += t.size(); });
        return n;
    }
    std::string summary() const {
        return models::detail::summary_table(
            "model", [&](auto&& f) { detail::for_each_layer_of(base(), "", f); }, count_params());
    }

    // ---- inference
    template <class X>
    auto operator()(const X& x) {
        detail::inference_context c;
        return base().call(c, x);
    }
    // Thread-safe like sequential's: each thread its own buffers, valid until its next predict.
    const output_type& predict(const input_type& x) {
        auto use = this->use_.shared("predict");
        flush_denormals ftz;
        return predict_.local()(x, this);
    }

    // ---- the training passes
    const output_type& forward_train(const input_type& x) {
        tape_.begin(&x, &gen_);
        const auto y = tape_.eval(base().call(tape_, x));
        static_assert(std::is_same_v<std::remove_cvref_t<decltype(y.get())>, output_type>,
                      "tfx: model: call returns another type in training than in inference (types below)");
        pred_ = &y.get();
        return *pred_;
    }
    void backward(const output_type& g) {
        tape_.backward(*pred_, g);
        // Every layer with variables must have received a gradient: else its gradients would be stale.
        detail::for_each_layer_of(base(), "", [&]<class L>(const std::string& path, const L& l) {
            if constexpr (models::detail::n_trainable<L> > 0)
                if (!tape_.backwarded(&l))
                    throw value_error("tfx: model: layer '" + path + "' (" + L::kind +
                                      ") got no gradient in this step: call does not use it, or its output does not reach "
                                      "the loss; the model is unchanged");
        });
    }
    void commit() {
        detail::for_each_layer_of(base(), "", [&](const std::string&, auto& l) {
            if constexpr (requires { l.commit(); }) l.commit();
        });
    }
    auto gradients() const { return grads(base()); }

   private:
    M& base() { return static_cast<M&>(*this); }
    const M& base() const { return static_cast<const M&>(*this); }

    template <class S, class F>
    static void visit_variables(S& s, F& f) {
        detail::for_each_layer_of(s, "", [&](const std::string& path, auto& l) { models::detail::visit_layer_variables(path, l, f); });
    }
    // The trainable variables (and their gradients) of a reflected struct, in member order, recursively.
    template <class S>
    static auto trainables(S& s) {
        return boost::hana::fold_left(boost::hana::accessors<std::remove_const_t<S>>(), std::tuple<>(), [&](auto acc, auto pair) {
            auto& member = boost::hana::second(pair)(s);
            using Mb = std::remove_cvref_t<decltype(member)>;
            if constexpr (detail::built_layer<Mb>)
                return std::tuple_cat(acc, member.trainable());
            else if constexpr (detail::reflected<Mb>)
                return std::tuple_cat(acc, trainables(member));
            else
                return acc;
        });
    }
    template <class S>
    static auto grads(const S& s) {
        return boost::hana::fold_left(boost::hana::accessors<S>(), std::tuple<>(), [&](auto acc, auto pair) {
            const auto& member = boost::hana::second(pair)(s);
            using Mb = std::remove_cvref_t<decltype(member)>;
            if constexpr (detail::built_layer<Mb>) {
                if constexpr (models::detail::n_trainable<Mb> > 0)
                    return std::tuple_cat(acc, member.gradients());
                else
                    return acc;
            } else if constexpr (detail::reflected<Mb>) {
                return std::tuple_cat(acc, grads(member));
            } else {
                return acc;
            }
        });
    }
    struct predict_fn {
        template <class X>
        auto operator()(const X& x, model* m) const {
            detail::inference_context c;
            return m->base().call(c, x);
        }
    };

    random::generator gen_{default_seed};
    detail::tape tape_;
    const output_type* pred_ = nullptr;
    models::detail::per_thread<function<predict_fn>> predict_{function<predict_fn>{predict_fn{}}};
};

}  // namespace tfx::models
