#pragma once
// tensor<T, E...>: contiguous row-major storage with static extents E (dyn where given at run time).
// Fully static tensors hold their elements inline (xtensor_fixed, no heap); others use an aligned
// xtensor. A tensor is also the leaf of every expression.
#include <algorithm>
#include <initializer_list>
#include <ostream>
#include <sstream>
#include <xsimd/memory/xsimd_aligned_allocator.hpp>
#include <xtensor/xfixed.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xtensor.hpp>

#include "../expr/node.hpp"

namespace tfx {

namespace detail {
template <class T, std::size_t R>
struct nested_list {
    using type = std::initializer_list<typename nested_list<T, R - 1>::type>;
};
template <class T>
struct nested_list<T, 0> {
    using type = T;
};

template <class T, std::size_t R, class L>
void list_dims(const L& l, dims_t<R>& d, std::size_t depth, bool& ragged) {
    if constexpr (!std::is_same_v<L, T>) {
        if (d[depth] == std::size_t(-1))
            d[depth] = l.size();
        else if (d[depth] != l.size())
            ragged = true;
        for (const auto& sub : l) list_dims<T, R>(sub, d, depth + 1, ragged);
        if (l.size() == 0)  // an empty level: the deeper extents are 0
            for (std::size_t k = depth + 1; k < R; ++k)
                if (d[k] == std::size_t(-1)) d[k] = 0;
    }
}
template <class T, class L>
void list_copy(const L& l, T*& out) {
    if constexpr (std::is_same_v<L, T>)
        *out++ = l;
    else
        for (const auto& sub : l) list_copy<T>(sub, out);
}

template <class S>
struct dims_static {
    static constexpr dims_t<S::rank> value = [] {
        dims_t<S::rank> d{};
        for (std::size_t i = 0; i < S::rank; ++i) d[i] = S::extents[i] == dyn ? 0 : std::size_t(S::extents[i]);
        return d;
    }();
};

template <class T, index_t... E>
struct container {
    using type = std::conditional_t<shape<E...>::is_static,
                                    xt::xtensor_fixed<T, xt::xshape<std::size_t(E)...>>,
                                    xt::xtensor<T, sizeof...(E), xt::layout_type::row_major,
                                                xsimd::aligned_allocator<T, alignment>>>;
};
}  // namespace detail

// Evaluation of an expression into a tensor (eval/assign.hpp).
template <class T, index_t... E, class X>
void assign(tensor<T, E...>& dst, const X& x);

// 'tfx::assignable<tfx::shape<2, 3>, tfx::shape<4, 3> >' evaluates to false.
template <class To, class From>
inline constexpr bool assignable = [] {
    if constexpr (To::rank != From::rank)
        return false;
    else {
        for (std::size_t i = 0; i < To::rank; ++i)
            if (To::extents[i] != dyn && From::extents[i] != dyn && To::extents[i] != From::extents[i]) return false;
        return true;
    }
}();

struct uninitialized_t {};
inline constexpr uninitialized_t uninitialized{};

template <class T, index_t... E>
class tensor : public expr_base<T, tfx::shape<E...>> {
    static_assert(((E == dyn || E >= 0) && ...), "tfx: tensor extents must be non-negative or dyn");

   public:
    using value_type = T;
    using shape_type = tfx::shape<E...>;
    using container_type = typename detail::container<T, E...>::type;
    static constexpr std::size_t rank = sizeof...(E);
    static constexpr bool is_static = shape_type::is_static;

    // Static tensors start at zero; dynamic ones with every dynamic extent 0.
    tensor() {
        if constexpr (!is_static && rank > 0) store().resize(detail::dims_static<shape_type>::value);
        init_zero();
    }

    // One size per dynamic extent, in order: tensor<float, dyn, 3> b(batch). Elements are zero.
    template <std::integral... N>
        requires(sizeof...(N) == shape_type::n_dyn && sizeof...(N) > 0)
    explicit tensor(N... n) {
        resize(expand({std::size_t(n)...}));
        init_zero();
    }

    // A tensor of the given run-time shape whose elements are not initialised (they are about to be
    // overwritten by a kernel).
    tensor(uninitialized_t, const dims_t<rank>& d) { resize(d); }
    explicit tensor(uninitialized_t)
        requires is_static
    {}

    // Rank 0 from a value.
    tensor(std::type_identity_t<T> v)  // not a deduction context: CTAD from an expression stays unambiguous
        requires(rank == 0)
    {
        store()() = v;
    }

    // Nested initializer lists: tensor<float, 2, 3> a{{1, 2, 3}, {4, 5, 6}}.
    tensor(typename detail::nested_list<T, rank>::type l)
        requires(rank > 0)
    {
        dims_t<rank> d;
        d.fill(std::size_t(-1));
        bool ragged = false;
        detail::list_dims<T, rank>(l, d, 0, ragged);
        if (ragged) throw shape_error("tfx: tensor: ragged initializer list");
        check_fits("tensor: initializer list", d);
        resize(d);
        T* out = data();
        detail::list_copy<T>(l, out);
    }

    // From any xtensor expression (its shape must fit the static extents).
    template <class X>
    explicit tensor(const xt::xexpression<X>& x) {
        const auto& e = x.derived_cast();
        if (e.dimension() != rank)
            throw shape_error("tfx: tensor: an xtensor expression of rank " + std::to_string(e.dimension()) +
                              " cannot make a tensor of rank " + std::to_string(rank));
        dims_t<rank> d;
        std::copy(e.shape().begin(), e.shape().end(), d.begin());
        check_fits("tensor: xtensor expression", d);
        resize(d);
        xt::noalias(store()) = e;
    }

    // From a tfx expression: evaluated here, in one fused pass.
    template <expression X>
        requires(!is_tensor_v<X>)
    tensor(const X& x) {
        static_assert(assignable<shape_type, typename X::shape_type>,
                      "tfx: assignment: the expression's shape does not fit the tensor's (shapes below)");
        static_assert(assignable_elements<tensor_elements<T>, expression_elements<typename X::value_type>>,
                      "tfx: assignment: the expression's element type differs from the tensor's; use cast<T> (types below)");
        assign(*this, x);
    }
    template <expression X>
        requires(!is_tensor_v<X>)
    tensor& operator=(const X& x) {
        static_assert(assignable<shape_type, typename X::shape_type>,
                      "tfx: assignment: the expression's shape does not fit the tensor's (shapes below)");
        static_assert(assignable_elements<tensor_elements<T>, expression_elements<typename X::value_type>>,
                      "tfx: assignment: the expression's element type differs from the tensor's; use cast<T> (types below)");
        assign(*this, x);
        return *this;
    }

    // From a tensor with other (compatible) static extents, e.g. tensor<float, dyn, 3> from <2, 3>.
    template <index_t... F>
        requires(!std::is_same_v<tensor, tensor<T, F...>>)
    tensor(const tensor<T, F...>& o) {
        static_assert(assignable<shape_type, tfx::shape<F...>>,
                      "tfx: tensor conversion: the shapes do not fit (shapes below)");
        auto d = o.shape();
        check_fits("tensor conversion", d);
        resize(d);
        std::copy(o.begin(), o.end(), begin());
    }
    template <index_t... F>
        requires(!std::is_same_v<tensor, tensor<T, F...>>)
    tensor& operator=(const tensor<T, F...>& o) {
        return *this = tensor(o);
    }

    tensor(const tensor&) = default;
    tensor(tensor&&) noexcept = default;
    tensor& operator=(const tensor&) = default;
    tensor& operator=(tensor&&) noexcept = default;

    // ---- access
    dims_t<rank> shape() const {
        dims_t<rank> d{};
        const auto& s = store().shape();
        for (std::size_t k = 0; k < rank; ++k) d[k] = s[k];
        return d;
    }
    std::size_t size() const { return store().size(); }
    T* data() { return store().data(); }
    const T* data() const { return store().data(); }
    container_type& xt() { return store(); }
    const container_type& xt() const { return store(); }
    T* begin() { return data(); }
    T* end() { return data() + size(); }
    const T* begin() const { return data(); }
    const T* end() const { return data() + size(); }

    template <std::integral... I>
        requires(sizeof...(I) == rank)
    T& operator()(I... i) {
        return data()[offset(i...)];
    }
    template <std::integral... I>
        requires(sizeof...(I) == rank)
    const T& operator()(I... i) const {
        return data()[offset(i...)];
    }
    // Checked access: throws shape_error naming the index and the shape.
    template <std::integral... I>
        requires(sizeof...(I) == rank)
    T& at(I... i) {
        check_index(i...);
        return data()[offset(i...)];
    }
    template <std::integral... I>
        requires(sizeof...(I) == rank)
    const T& at(I... i) const {
        check_index(i...);
        return data()[offset(i...)];
    }

    // Reshape the storage to d (must fit the static extents). Keeps the allocation if the size is
    // unchanged; the contents are then unspecified.
    void resize(const dims_t<rank>& d) {
        check_fits("tensor: resize", d);
        if constexpr (!is_static) {
            if (shape() != d) store().resize(d);
        }
    }

    void fill(T v) { std::fill(begin(), end(), v); }

   private:
    // Inline storage is aligned for the widest SIMD batch: xtensor_fixed aligns its elements only to
    // alignof(T) and keeps them after its bases, so the holder pads in front of the container.
    struct padded {
        static constexpr std::size_t lead = sizeof(container_type) - sizeof(typename container_type::storage_type);
        static constexpr std::size_t pad = (alignment - lead % alignment) % alignment;
        alignas(alignment) unsigned char front[pad ? pad : alignment]{};  // never read; zeroed so copies copy no indeterminate bytes
        container_type c;
    };
    struct plain {
        container_type c;
    };
    std::conditional_t<is_static, padded, plain> holder_;
    container_type& store() noexcept { return holder_.c; }
    const container_type& store() const noexcept { return holder_.c; }

    void init_zero() { std::fill(store().begin(), store().end(), T{}); }

    static dims_t<rank> expand(std::initializer_list<std::size_t> dyn_extents) {
        dims_t<rank> d;
        auto it = dyn_extents.begin();
        for (std::size_t i = 0; i < rank; ++i) d[i] = shape_type::extents[i] == dyn ? *it++ : std::size_t(shape_type::extents[i]);
        return d;
    }
    void check_fits(const char* what, const dims_t<rank>& d) const {
        if (!dims_fit<shape_type>(d)) throw_not_fit(what, d, shape_type::extents);
    }
    template <class... I>
    std::size_t offset(I... i) const {
        if constexpr (rank == 0)
            return 0;
        else {
            const auto& s = store().shape();
            std::size_t idx[] = {std::size_t(i)...};
            std::size_t off = 0;
            for (std::size_t k = 0; k < rank; ++k) off = off * s[k] + idx[k];
            return off;
        }
    }
    template <class... I>
    void check_index(I... i) const {
        dims_t<rank> idx{std::size_t(i)...};
        auto s = shape();
        for (std::size_t k = 0; k < rank; ++k)
            if (idx[k] >= s[k])
                throw shape_error("tfx: tensor::at: index " + shape_string(idx) + " is out of range for shape " +
                                  shape_string(s));
    }
};

// CTAD from an expression: tensor c = a * 2.f + 1.f;
template <class T, index_t... E>
tensor(const expr_base<T, shape<E...>>&) -> tensor<T, E...>;

// Evaluate an expression into a new tensor.
template <expression X>
auto eval(const X& x) {
    if constexpr (is_tensor_v<X>)
        return std::remove_cvref_t<X>(x);
    else
        return tensor_of<std::remove_cvref_t<X>>(x);
}

// ---- printing, NumPy style
namespace detail {
template <class T>
void print_value(std::ostream& os, const T& v) {
    if constexpr (std::is_same_v<T, bool>)
        os << (v ? "true" : "false");
    else if constexpr (std::is_integral_v<T>)
        os << +v;
    else
        os << v;
}
template <class T, std::size_t R>
void print_level(std::ostream& os, const T* p, const dims_t<R>& d, std::size_t depth, std::size_t stride) {
    if (depth == R) {
        print_value(os, *p);
        return;
    }
    std::size_t inner = stride / (d[depth] ? d[depth] : 1);
    os << '[';
    for (std::size_t i = 0; i < d[depth]; ++i) {
        if (i) {
            os << (depth + 1 == R ? ", " : ",\n");
            for (std::size_t k = depth + 2; k < R; ++k) os << '\n';  // NumPy separates blocks by blank lines
            if (depth + 1 < R) os << std::string(depth + 1, ' ');
        }
        print_level(os, p + i * inner, d, depth + 1, inner);
    }
    os << ']';
}
}  // namespace detail

template <class T, index_t... E>
std::ostream& operator<<(std::ostream& os, const tensor<T, E...>& t) {
    detail::print_level(os, t.data(), t.shape(), 0, t.size());
    return os;
}
template <class T, index_t... E>
std::string to_string(const tensor<T, E...>& t) {
    std::ostringstream os;
    os << t;
    return os.str();
}

}  // namespace tfx
