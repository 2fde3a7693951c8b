#pragma once
// The state every optimizer keeps: the iteration count and, per variable, its slot tensors (Adam's
// m and v, ...). The variables have many static types; their slots are kept type-erased in a
// std::variant over (float, double) x (rank 0..max_rank), as tensors with the variable's element
// type, rank and shape and all extents dynamic. That finite set is what lets for_each_variable hand
// a checkpoint's generic visitor real tensor& without knowing the variables' types, and the
// variant makes copying an optimizer a deep copy. apply_gradients recovers each variable's slots
// with std::get_if after checking dtype, rank and shape.
#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "../core/errors.hpp"
#include "../core/inline.hpp"
#include "../core/tensor.hpp"

namespace tfx::optimizers::detail {

inline constexpr std::size_t max_rank = 5;   // variables of rank 0..5
inline constexpr std::size_t max_slots = 3;  // slots per variable (Adam with amsgrad, centered RMSprop with momentum)

// The slots an optimizer's options ask for, in order: a name ("m") and an initial value.
struct slot_spec {
    const char* name = "";
    double initial = 0;
};
struct slot_specs {
    std::array<slot_spec, max_slots> list{};
    std::size_t count = 0;
    void add(const char* name, double initial = 0) { list[count++] = slot_spec{name, initial}; }
};

// ---- the slot tensors of one variable

template <std::size_t>
inline constexpr index_t dyn_extent = dyn;
template <class T, class Seq>
struct dyn_tensor;
template <class T, std::size_t... I>
struct dyn_tensor<T, std::index_sequence<I...>> {
    using type = tensor<T, dyn_extent<I>...>;
};
// tensor<T, dyn, ..., dyn> of rank R.
template <class T, std::size_t R>
using slot_tensor = typename dyn_tensor<T, std::make_index_sequence<R>>::type;

template <class T, std::size_t R>
struct slots_of {
    std::vector<slot_tensor<T, R>> tensors;
};

template <class Seq>
struct slot_variant_of;
template <std::size_t... R>
struct slot_variant_of<std::index_sequence<R...>> {
    using type = std::variant<slots_of<float, R>..., slots_of<double, R>...>;
};
using slot_variant = typename slot_variant_of<std::make_index_sequence<max_rank + 1>>::type;

// Slot types as a set: bit i stands for slot_variant's alternative i.
inline constexpr unsigned all_slot_types = (1u << std::variant_size_v<slot_variant>) - 1;
template <class T, std::size_t R>
inline constexpr unsigned slot_type_bit = [] {
    if constexpr ((std::is_same_v<T, float> || std::is_same_v<T, double>) && R <= max_rank)
        return 1u << ((std::is_same_v<T, float> ? 0 : max_rank + 1) + R);
    else
        return 0u;  // a type that gets no slots (build rejects it)
}();
static_assert(std::is_same_v<std::variant_alternative_t<std::countr_zero(slot_type_bit<double, 2>), slot_variant>, slots_of<double, 2>>);

struct variable_slots {
    std::string name;                     // "dense/kernel"
    std::vector<std::size_t> dims;        // the variable's shape
    std::vector<std::string> slot_names;  // "dense/kernel/m", ...
    slot_variant slots;
};

// ---- what a variable may be

template <class X>
struct variable_info {
    static constexpr bool is_tensor = false;
};
template <class T, index_t... E>
struct variable_info<tensor<T, E...>> {
    static constexpr bool is_tensor = true;
    using value_type = T;
    using shape_type = tfx::shape<E...>;
    static constexpr std::size_t rank = sizeof...(E);
};

// The slot types of variables V... (tensors; others add nothing).
template <class... V>
inline constexpr unsigned slot_types_of = (0u | ... | [] {
    using info = variable_info<std::remove_cvref_t<V>>;
    if constexpr (info::is_tensor)
        return slot_type_bit<typename info::value_type, info::rank>;
    else
        return 0u;
}());

template <class V>
inline constexpr bool is_variable_tuple = false;
template <class... V>
inline constexpr bool is_variable_tuple<std::tuple<V&...>> = ((variable_info<V>::is_tensor && !std::is_const_v<V>) && ...);

template <class T>
inline constexpr const char* dtype_name = std::is_same_v<T, float> ? "float" : "double";

std::string describe(const char* dtype, std::span<const std::size_t> dims);  // "a float tensor of shape [2, 3]"
template <class T, class D>
std::string describe(const D& dims) {
    return describe(dtype_name<T>, dims);
}
std::string describe(const variable_slots& r);
// The shortest text that reads back as v ("1.5", "0.001").
std::string number(double v);
std::string in_quotes(std::string_view s);

// Each check states its static_asserts and returns whether they hold, so that callers can stop
// (if constexpr) before a failed check turns into a cascade of errors.
template <class V>
constexpr bool check_variable_type() {
    using info = variable_info<V>;
    using T = typename info::value_type;
    constexpr bool floating = std::is_same_v<T, float> || std::is_same_v<T, double>;
    static_assert(floating, "tfx: optimizers: a variable must be a float or double tensor (its type below)");
    static_assert(info::rank <= max_rank, "tfx: optimizers: variables of rank > 5 are not supported (type below)");
    return floating && info::rank <= max_rank;
}

template <class G, class V>
constexpr bool check_gradient_type() {
    using GI = variable_info<std::remove_cvref_t<G>>;
    static_assert(GI::is_tensor, "tfx: optimizers::apply_gradients: each gradient must be a tfx::tensor (types below)");
    if constexpr (!GI::is_tensor) {
        return false;
    } else {
        using VI = variable_info<V>;
        constexpr bool same_type = std::is_same_v<typename GI::value_type, typename VI::value_type>;
        constexpr bool fits = assignable<typename VI::shape_type, typename GI::shape_type>;
        static_assert(same_type,
                      "tfx: optimizers::apply_gradients: a gradient's element type differs from its variable's (types below)");
        static_assert(fits, "tfx: optimizers::apply_gradients: a gradient's shape does not fit its variable's (types below)");
        return same_type && fits;
    }
}

// grads: a tuple of tensors; vars: a std::tuple of tensor&, as many, each gradient of its variable's
// element type and a shape that can match.
template <class G, class V>
constexpr bool check_apply_types() {
    static_assert(is_variable_tuple<V>,
                  "tfx: optimizers::apply_gradients(grads, vars): vars must be a std::tuple of non-const tensor "
                  "references, e.g. std::tie(W, b) or model.trainable_variables() (type below)");
    if constexpr (!is_variable_tuple<V>) {
        return false;
    } else {
        constexpr bool tuple_like = requires { std::tuple_size<G>::value; };
        static_assert(tuple_like, "tfx: optimizers::apply_gradients(grads, vars): grads must be a tuple of tensors (type below)");
        if constexpr (!tuple_like) {
            return false;
        } else {
            constexpr std::size_t N = std::tuple_size_v<V>;
            static_assert(std::tuple_size_v<G> == N,
                          "tfx: optimizers::apply_gradients(grads, vars): grads and vars must have as many elements");
            if constexpr (std::tuple_size_v<G> != N)
                return false;
            else
                return []<std::size_t... I>(std::index_sequence<I...>) {
                    return ((check_variable_type<std::remove_reference_t<std::tuple_element_t<I, V>>>() &&
                             check_gradient_type<std::tuple_element_t<I, G>, std::remove_reference_t<std::tuple_element_t<I, V>>>()) &&
                            ...);
                }(std::make_index_sequence<N>{});
        }
    }
}

// ---- the state

class optimizer_state {
   public:
    std::int64_t iterations() const { return iterations_(); }
    bool built() const { return built_; }

    // Slots for vars, named "<names[i]>/<slot>"; a no-op when already built for variables of the
    // same dtypes and shapes (another set of variables is a shape_error).
    template <class Opt, class... V>
    void build(const Opt& opt, const std::tuple<V&...>& vars, std::vector<std::string> names) {
        constexpr bool mutable_vars = ((!std::is_const_v<V>) && ...);
        static_assert(mutable_vars, "tfx: optimizers::build: the variables must be non-const tensors (types below)");
        constexpr bool types_ok = (check_variable_type<std::remove_const_t<V>>() && ...);
        if constexpr (mutable_vars && types_ok) build_checked(opt, vars, std::move(names));
    }
    template <class Opt, class... V>
    void build(const Opt& opt, const std::tuple<V&...>& vars) {
        build(opt, vars, default_names(sizeof...(V)));
    }

    // One update of every variable: everything is checked first, then each variable is updated by
    // the optimizer's fused loop, then the iteration count goes up by one.
    template <class Opt, class G, class V>
    void apply(const Opt& opt, const G& grads, const V& vars) {
        if constexpr (check_apply_types<G, V>()) apply_checked(opt, grads, vars);
    }

    // "iterations", then each variable's slots "<name>/<slot>".
    template <class F>
    void for_each_variable(F& f) {
        visit_variables<all_slot_types>(*this, f);
    }
    template <class F>
    void for_each_variable(F& f) const {
        visit_variables<all_slot_types>(*this, f);
    }
    // The same, with f instantiated only for the slot types in Types (slot_types_of<V...>): each
    // visitor a checkpoint hands in is otherwise compiled for all 12 (float, double) x rank 0..5,
    // where a model has two or three. Slots of another type are a value_error.
    template <unsigned Types, class F>
    void for_each_variable_of(F& f) {
        visit_variables<Types>(*this, f);
    }
    template <unsigned Types, class F>
    void for_each_variable_of(F& f) const {
        visit_variables<Types>(*this, f);
    }

   private:
    tensor<std::int64_t> iterations_{};
    std::vector<variable_slots> vars_;
    std::size_t slot_count_ = 0;  // slots per variable
    bool built_ = false;

    template <unsigned Types, class Self, class F>
    static void visit_variables(Self& self, F& f) {
        f(std::string_view("iterations"), self.iterations_);
        for (auto& r : self.vars_) {
            const bool visited = [&]<std::size_t... I>(std::index_sequence<I...>) {
                return (visit_slots<I, Types>(r, f) || ...);
            }(std::make_index_sequence<std::variant_size_v<slot_variant>>{});
            if (!visited)
                throw value_error("tfx: optimizers: the slots of " + in_quotes(r.name) + " are for " + describe(r) +
                                  ", not the type of any variable given (was the optimizer built for other variables?)");
        }
    }
    template <std::size_t I, unsigned Types, class R, class F>
    static bool visit_slots(R& r, F& f) {
        if constexpr ((Types >> I & 1u) != 0) {
            if (auto* s = std::get_if<I>(&r.slots)) {
                for (std::size_t k = 0; k < s->tensors.size(); ++k) f(std::string_view(r.slot_names[k]), s->tensors[k]);
                return true;
            }
        }
        return false;
    }

    template <class Opt, class... V>
    void build_checked(const Opt& opt, const std::tuple<V&...>& vars, std::vector<std::string> names) {
        const op_id op{Opt::name, "build"};
        opt.check_options();
        if (names.size() != sizeof...(V))
            throw value_error(op() + ": " + std::to_string(sizeof...(V)) + " variables but " + std::to_string(names.size()) +
                              " names");
        if (built_) return check_built(op, vars, opt.slots());
        std::vector<std::string_view> sorted(names.begin(), names.end());
        std::sort(sorted.begin(), sorted.end());
        if (auto d = std::adjacent_find(sorted.begin(), sorted.end()); d != sorted.end())
            throw value_error(op() + ": two variables are named " + in_quotes(*d));
        build_slots(vars, names, opt.slots());
    }

    template <class Opt, class G, class V>
    void apply_checked(const Opt& opt, const G& grads, const V& vars) {
        constexpr std::size_t N = std::tuple_size_v<V>;
        const op_id op{Opt::name, "apply_gradients"};
        opt.check_options();
        const slot_specs specs = opt.slots();
        if (built_) check_built(op, vars, specs);
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (check_gradient(op, I, std::get<I>(grads), std::get<I>(vars)), ...);
        }(std::make_index_sequence<N>{});
        const double lr = opt.learning_rate(iterations_());  // a schedule may throw: still nothing changed
        if (!built_) build_slots(vars, default_names(N), specs);

        // An optimizer may compute what its step needs once (step_constants), not per variable.
        const auto step = [&] {
            if constexpr (requires { opt.step_constants(lr, iterations_()); })
                return opt.step_constants(lr, iterations_());
            else
                return std::pair<double, std::int64_t>(lr, iterations_());
        }();
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (update(opt, step, vars_[I], std::get<I>(grads), std::get<I>(vars)), ...);
        }(std::make_index_sequence<N>{});
        ++iterations_();
    }

    // The operation, for messages ("tfx: optimizers::adam::build"); made into text only when thrown.
    struct op_id {
        const char* optimizer;
        const char* what;
        std::string operator()() const { return std::string("tfx: optimizers::") + optimizer + "::" + what; }
    };
    static std::vector<std::string> default_names(std::size_t n);
    std::string variable_name(std::size_t i) const {
        return "variable " + std::to_string(i) + (built_ ? " (" + in_quotes(vars_[i].name) + ")" : "");
    }

    // Throws unless vars are the variables the slots were built for and the options ask for as many slots.
    template <class... V>
    void check_built(const op_id& op, const std::tuple<V&...>& vars, const slot_specs& specs) const {
        if (vars_.size() != sizeof...(V)) throw_variable_count(op, sizeof...(V));
        if (specs.count != slot_count_) throw_slot_count(op, specs.count);
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (check_same(op, I, std::get<I>(vars)), ...);
        }(std::make_index_sequence<sizeof...(V)>{});
    }
    template <class T, index_t... E>
    void check_same(const op_id& op, std::size_t i, const tensor<T, E...>& v) const {
        const auto& r = vars_[i];
        const auto d = v.shape();
        if (!std::get_if<slots_of<T, sizeof...(E)>>(&r.slots) || !std::equal(d.begin(), d.end(), r.dims.begin(), r.dims.end()))
            throw_not_built_for(op, i, dtype_name<T>, d);
    }
    template <class T, index_t... F, index_t... E>
    void check_gradient(const op_id& op, std::size_t i, const tensor<T, F...>& g, const tensor<T, E...>& v) const {
        if (g.shape() != v.shape()) throw_gradient_shape(op, i, dtype_name<T>, g.shape(), v.shape());
    }
    // The messages: plain functions, out of the way of the checks (which run at every step).
    [[noreturn, gnu::cold]] void throw_variable_count(const op_id& op, std::size_t got) const;
    [[noreturn, gnu::cold]] void throw_slot_count(const op_id& op, std::size_t count) const;
    [[noreturn, gnu::cold]] void throw_not_built_for(const op_id& op, std::size_t i, const char* dtype,
                                                     std::span<const std::size_t> d) const;
    [[noreturn, gnu::cold]] void throw_gradient_shape(const op_id& op, std::size_t i, const char* dtype,
                                                      std::span<const std::size_t> g,
                                                      std::span<const std::size_t> v) const;

    template <class... V>
    void build_slots(const std::tuple<V&...>& vars, const std::vector<std::string>& names, const slot_specs& specs) {
        std::vector<variable_slots> made;
        made.reserve(sizeof...(V));
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (made.push_back(make_slots(std::get<I>(vars), names[I], specs)), ...);
        }(std::make_index_sequence<sizeof...(V)>{});
        vars_ = std::move(made);
        slot_count_ = specs.count;
        built_ = true;
    }
    template <class T, index_t... E>
    static variable_slots make_slots(const tensor<T, E...>& v, const std::string& name, const slot_specs& specs) {
        return make_slots<T, sizeof...(E)>(v.shape(), name, specs);
    }
    // The work, per element type and rank only (not per variable type: a model has many).
    template <class T, std::size_t R>
    static variable_slots make_slots(const dims_t<R>& d, const std::string& name, const slot_specs& specs) {
        variable_slots r{name, std::vector<std::size_t>(d.begin(), d.end()), {}, slot_variant(std::in_place_type<slots_of<T, R>>)};
        auto& s = std::get<slots_of<T, R>>(r.slots);
        s.tensors.reserve(specs.count);
        for (std::size_t k = 0; k < specs.count; ++k) {
            r.slot_names.push_back(name + "/" + specs.list[k].name);
            s.tensors.emplace_back(uninitialized, d).fill(T(specs.list[k].initial));
        }
        return r;
    }

    template <class Opt, class Step, class G, class T, index_t... E>
    static void update(const Opt& opt, const Step& step, variable_slots& r, const G& g, tensor<T, E...>& w) {
        auto& s = *std::get_if<slots_of<T, sizeof...(E)>>(&r.slots);  // checked above
        std::array<T*, max_slots> p{};
        for (std::size_t k = 0; k < s.tensors.size(); ++k) p[k] = s.tensors[k].data();
        if constexpr (requires { opt.step_constants(0.0, std::int64_t()); })
            opt.template update<T>(step, w.size(), g.data(), w.data(), p.data());
        else
            opt.template update<T>(step.first, step.second, w.size(), g.data(), w.data(), p.data());
    }
};


// The slot types of a variable tuple (std::tuple<V&...>, as trainable_variables() gives).
template <class Vars>
inline constexpr unsigned slot_types_in = all_slot_types;
template <class... V>
inline constexpr unsigned slot_types_in<std::tuple<V&...>> = slot_types_of<V...>;

// opt as a checkpoint collection whose visitors are compiled only for the slot types of the
// variables Vars (a compiled model saves and restores its optimizer so). An optimizer without an
// optimizer_state (a user's own) is visited as it is.
template <unsigned Types, class Opt>
struct typed_slots {
    Opt& opt;
    template <class F>
    void for_each_variable(F&& f) const {
        if constexpr (requires { opt.state_.template for_each_variable_of<Types>(f); })
            opt.state_.template for_each_variable_of<Types>(f);
        else
            opt.for_each_variable(f);
    }
};
template <class Vars, class Opt>
typed_slots<slot_types_in<Vars>, Opt> slots_for(Opt& opt) {
    return {opt};
}

}  // namespace tfx::optimizers::detail

#ifndef TFX_COMPILED_LIB
#include "impl/state.ipp"
#endif
