#pragma once
// Inspection: to_string(e) prints the expression graph as an indented tree, to_dot(e) writes it as
// GraphViz (dot -Tpng). Each line shows the op, the static shape (? for dyn) and the element type.
#include <sstream>
#include <string>

#include "elementwise.hpp"

namespace tfx {

namespace detail {
template <class T>
constexpr const char* type_name() {
    if constexpr (std::is_same_v<T, float>) return "float";
    else if constexpr (std::is_same_v<T, double>) return "double";
    else if constexpr (std::is_same_v<T, bool>) return "bool";
    else if constexpr (std::is_same_v<T, std::int32_t>) return "int32";
    else if constexpr (std::is_same_v<T, std::int64_t>) return "int64";
    else return "?";
}

template <class Op, class... A>
Op map_op(const map<Op, A...>&);

template <class E>
std::string node_label(const E& e) {
    using T = typename E::value_type;
    std::string desc;
    if constexpr (requires { E::index; } && is_leaf<E>::value)
        desc = "arg " + std::to_string(E::index);
    else if constexpr (is_leaf<E>::value)
        desc = "tensor";
    else if constexpr (requires { E::value; } && !requires { e.children(); })
        desc = "1";
    else if constexpr (requires { E::name; })
        desc = E::name;
    else if constexpr (is_map<E>::value)
        desc = decltype(map_op(e))::name;
    else if constexpr (requires { e.value; }) {
        std::ostringstream os;
        os << "scalar " << +e.value;
        desc = os.str();
    } else
        desc = "node";
    return desc + " " + shape_string_static<typename E::shape_type>() + " " + type_name<T>();
}
template <class E>
void tree(std::ostringstream& os, const E& e, const std::string& prefix, bool last, bool root) {
    os << prefix << (root ? "" : (last ? "└─ " : "├─ ")) << node_label(e) << "\n";
    const std::string next = root ? "" : prefix + (last ? "   " : "│  ");
    std::apply(
        [&](const auto&... c) {
            std::size_t i = 0, n = sizeof...(c);
            (tree(os, c, next, ++i == n, false), ...);
        },
        e.children());
}

template <class E>
std::size_t dot(std::ostringstream& os, const E& e, std::size_t& counter) {
    const std::size_t id = counter++;
    os << "  n" << id << " [label=\"" << node_label(e) << "\"" << (is_leaf<E>::value ? ", shape=box" : "") << "];\n";
    std::apply(
        [&](const auto&... c) {
            (
                [&] {
                    const std::size_t child = dot(os, c, counter);
                    os << "  n" << child << " -> n" << id << ";\n";
                }(),
                ...);
        },
        e.children());
    return id;
}
}  // namespace detail

template <expression E>
    requires(!is_tensor_v<E>)
std::string to_string(const E& e) {
    std::ostringstream os;
    detail::tree(os, e, "", true, true);
    return os.str();
}

template <expression E>
    requires(!is_tensor_v<E>)
std::string to_dot(const E& e) {
    std::ostringstream os;
    os << "digraph tfx {\n  rankdir=BT;\n";
    std::size_t counter = 0;
    detail::dot(os, e, counter);
    os << "}\n";
    return os.str();
}

}  // namespace tfx
