#pragma once
// The expression as a graph, worked out by the compiler. An expression value is a tree (children
// are held by value), but a subexpression used twice is the same computation: nodes whose value is
// fixed by their type — every leaf a symbol arg<I>, no run-time constants — are one node however
// often they occur; any other node is identified by its position. The result is a DAG whose nodes
// (keys) are listed children-first, and whose edges say which child of which parent each node is.
// Reverse mode walks the keys in reverse and gives each exactly one adjoint.
#include <boost/mp11.hpp>

#include "../eval/function.hpp"
#include "adjoint_ops.hpp"

namespace tfx::detail::dag {

using namespace boost::mp11;

template <class E, class Path>
struct pos {
    using node = E;
    using path = Path;
};
template <class ParentKey, std::size_t C, class ChildKey>
struct edge {};

template <class E>
using children_of =
    mp_transform<std::remove_cvref_t, mp_rename<decltype(std::declval<const E&>().children()), mp_list>>;

// Node kinds whose value is a function of their children and type alone.
template <class E>
struct pure_kind : std::false_type {};
template <std::size_t I, class T, class S>
struct pure_kind<arg<I, T, S>> : std::true_type {};
template <class T>
struct pure_kind<unit<T>> : std::true_type {};
template <class Op, class... A>
struct pure_kind<map<Op, A...>> : std::true_type {};
template <class K, unsigned M, bool Keep, class X>
struct pure_kind<reduce_node<K, M, Keep, X>> : std::true_type {};
template <bool Max, int Axis, class X>
struct pure_kind<arg_node<Max, Axis, X>> : std::true_type {};
template <bool Log, int Axis, class X>
struct pure_kind<softmax_node<Log, Axis, X>> : std::true_type {};
template <class A, class B>
struct pure_kind<matmul_node<A, B>> : std::true_type {};
template <class X, int... P>
struct pure_kind<permute_node<X, P...>> : std::true_type {};
template <int Axis, class... X>
struct pure_kind<concat_node<Axis, X...>> : std::true_type {};
template <int Axis, int BD, class X, class I>
struct pure_kind<gather_node<Axis, BD, X, I>> : std::true_type {};
// A static slice (its range is in its type); a run-time range is not.
template <int Axis, index_t Size, class X, index_t Begin>
struct pure_kind<slice_node<Axis, Size, X, Begin>> : std::bool_constant<Begin != dyn> {};

template <class E>
struct determined;
template <class E>
using determined_t = typename determined<E>::type;
template <class E>
struct determined {
    using type = mp_bool<pure_kind<E>::value && mp_all_of<children_of<E>, determined_t>::value>;
};

// Every position of the tree, children before their parent (post-order).
template <class E, class Path>
struct positions_impl {
    using kids = children_of<E>;
    template <class I>
    using child = typename positions_impl<mp_at<kids, I>, mp_push_back<Path, I>>::type;
    using type = mp_push_back<mp_flatten<mp_transform<child, mp_iota<mp_size<kids>>>>, pos<E, Path>>;
};
template <class E>
using positions = typename positions_impl<E, mp_list<>>::type;

template <class P>
struct key_of_impl;
template <class E, class Path>
struct key_of_impl<pos<E, Path>> {
    using type = mp_if<determined_t<E>, E, pos<E, Path>>;
};
template <class P>
using key_of = typename key_of_impl<P>::type;

template <class Root>
using keys = mp_unique<mp_transform<key_of, positions<Root>>>;

// The type of the node at Path below Root.
template <class E, class Path>
struct type_at_impl {
    using type = E;
};
template <class E, class I, class... Rest>
struct type_at_impl<E, mp_list<I, Rest...>> {
    using type = typename type_at_impl<mp_at<children_of<E>, I>, mp_list<Rest...>>::type;
};
template <class E, class Path>
using type_at = typename type_at_impl<E, Path>::type;

template <class Root>
struct edges_impl {
    template <class P>
    struct edge_of;
    template <class E, class Path>
    struct edge_of<pos<E, Path>> {
        using parent_path = mp_pop_back<Path>;
        using type = edge<key_of<pos<type_at<Root, parent_path>, parent_path>>, mp_back<Path>::value, key_of<pos<E, Path>>>;
    };
    template <class P>
    struct has_parent;
    template <class E, class Path>
    struct has_parent<pos<E, Path>> : mp_bool<(mp_size<Path>::value > 0)> {};
    template <class P>
    using edge_t = typename edge_of<P>::type;
    using type = mp_unique<mp_transform<edge_t, mp_copy_if<positions<Root>, has_parent>>>;
};
template <class Root>
using edges = typename edges_impl<Root>::type;

template <class K>
struct is_edge_into {
    template <class Edge>
    struct fn : std::false_type {};
    template <class P, std::size_t C>
    struct fn<edge<P, C, K>> : std::true_type {};
};
template <class Root, class K>
using edges_into = mp_copy_if_q<edges<Root>, mp_quote_trait<is_edge_into<K>::template fn>>;

// The first path at which key K occurs, and the node type of a key.
template <class Root, class K>
struct path_of_impl {
    template <class P>
    using is_k = std::is_same<key_of<P>, K>;
    using type = typename mp_at<positions<Root>, mp_find_if<positions<Root>, is_k>>::path;
};
template <class Root, class K>
using path_of = typename path_of_impl<Root, K>::type;

template <class K>
struct node_of_key_impl {
    using type = K;
};
template <class E, class Path>
struct node_of_key_impl<pos<E, Path>> {
    using type = E;
};
template <class K>
using node_of_key = typename node_of_key_impl<K>::type;

// The node at Path below e (a reference into e).
template <class Path, class E>
const auto& node_at(const E& e) {
    if constexpr (mp_empty<Path>::value)
        return e;
    else
        return node_at<mp_pop_front<Path>>(std::get<mp_front<Path>::value>(e.children()));
}

}  // namespace tfx::detail::dag
