#pragma once
// What flows through a dataset: an element is a tensor, a tuple of elements, or (after a map) any
// default-constructible value. The helpers here move elements between stages so that buffers are
// reused: a stage writes into storage its consumer hands it, never into a fresh allocation.
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../core/tensor.hpp"
#include "../eval/assign.hpp"

namespace tfx::data {

// cardinality() of a dataset that never ends, and of one whose length is not known without
// iterating it (as tf.data.INFINITE_CARDINALITY and tf.data.UNKNOWN_CARDINALITY).
inline constexpr std::int64_t infinite_cardinality = -1;
inline constexpr std::int64_t unknown_cardinality = -2;

namespace detail {

template <class T>
struct is_tuple : std::false_type {};
template <class... T>
struct is_tuple<std::tuple<T...>> : std::true_type {};
template <class T>
inline constexpr bool is_tuple_v = is_tuple<std::remove_cvref_t<T>>::value;

template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};

template <class Tuple, class F>
void for_each_index(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (f(std::integral_constant<std::size_t, I>{}), ...);
    }(std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<Tuple>>>{});
}

// ---- batching: tensor<T, E...> becomes tensor<T, dyn, E...>, tuples component by component.
template <class E>
struct batched {
    static constexpr bool ok = false;
    using type = void;
};
template <class T, index_t... X>
struct batched<tensor<T, X...>> {
    static constexpr bool ok = true;
    using type = tensor<T, dyn, X...>;
};
template <class... E>
struct batched<std::tuple<E...>> {
    static constexpr bool ok = sizeof...(E) > 0 && (batched<E>::ok && ...);
    using type = std::tuple<typename batched<E>::type...>;
};

// ---- transfer: out takes the value of from; from keeps storage that is worth reusing. Dynamic
// tensors swap their buffers (no copy); static ones are small and copied (a swap would copy three
// times).
template <class E>
void transfer(E& out, E& from) {
    if constexpr (is_tensor_v<E>) {
        if constexpr (E::is_static)
            out = from;
        else
            std::swap(out, from);
    } else if constexpr (is_tuple<E>::value) {
        for_each_index<E>([&](auto i) { transfer(std::get<i>(out), std::get<i>(from)); });
    } else {
        using std::swap;
        swap(out, from);
    }
}

// ---- map results: expressions are evaluated into tensors, numbers become rank-0 tensors, pairs
// and tuples are converted component by component; any other type is kept as it is.
template <class R>
struct result_element {
    using type = R;
};
template <class R>
    requires(expression<R> && !is_tensor_v<R>)
struct result_element<R> {
    using type = tensor_of<R>;
};
template <class R>
    requires std::is_arithmetic_v<R>
struct result_element<R> {
    using type = tensor<R>;
};
template <class... R>
struct result_element<std::tuple<R...>> {
    using type = std::tuple<typename result_element<std::remove_cvref_t<R>>::type...>;
};
template <class A, class B>
struct result_element<std::pair<A, B>> {
    using type = std::tuple<typename result_element<std::remove_cvref_t<A>>::type,
                            typename result_element<std::remove_cvref_t<B>>::type>;
};
template <class R>
using result_element_t = typename result_element<std::remove_cvref_t<R>>::type;

// Stores a map function's result into out, reusing out's storage: an expression is evaluated
// straight into it, a tensor is copied or moved, a number written.
template <class E, class R>
void assign_result(E& out, R&& r) {
    using D = std::remove_cvref_t<R>;
    if constexpr (is_tuple<D>::value || is_pair<D>::value) {
        for_each_index<D>([&](auto i) { assign_result(std::get<i>(out), std::get<i>(std::forward<R>(r))); });
    } else if constexpr (std::is_arithmetic_v<D>) {
        out() = static_cast<typename E::value_type>(r);
    } else {
        out = std::forward<R>(r);
    }
}

// ---- calling a user function with an element: a tuple's components are passed as separate
// arguments when the function takes them (as tf.data does), else the element is passed whole.
template <class F, class E>
struct unpacks : std::false_type {};
template <class F, class... C>
struct unpacks<F, std::tuple<C...>> : std::bool_constant<std::is_invocable_v<F&, C&...>> {};

template <class F, class E>
inline constexpr bool callable_with = unpacks<F, E>::value || std::is_invocable_v<F&, E&>;

template <class F, class E>
decltype(auto) call(F& f, E& e) {
    if constexpr (unpacks<F, E>::value)
        return std::apply(f, e);
    else
        return std::invoke(f, e);
}
template <class F, class E>
using call_result_t = decltype(call(std::declval<F&>(), std::declval<E&>()));

// The name of an element type in messages.
template <class T>
constexpr const char* type_name() {
    if constexpr (std::is_same_v<T, float>)
        return "float";
    else if constexpr (std::is_same_v<T, double>)
        return "double";
    else if constexpr (std::is_same_v<T, std::int32_t>)
        return "int32";
    else if constexpr (std::is_same_v<T, std::int64_t>)
        return "int64";
    else if constexpr (std::is_same_v<T, bool>)
        return "bool";
    else
        return "value";
}

template <class T>
inline constexpr bool number_type = std::is_same_v<T, float> || std::is_same_v<T, double> ||
                                    std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>;

}  // namespace detail
}  // namespace tfx::data
