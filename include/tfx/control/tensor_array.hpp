#pragma once
// tensor_array<T, E...>: a run-time list of tensors of one element shape [E...] (static or dynamic
// extents), in one contiguous buffer, as tf.TensorArray: write(i, value), read(i), stack(), unstack(t),
// size(). It is for loops written in C++ — a for loop over time steps in eager code, as the
// TensorFlow 2 guide's DynamicRNN writes outputs.write(i, output) — and holds values, not graphs:
// write evaluates its argument. Gradients through a loop come from scan and while_loop, whose
// stacked outputs are what a tensor_array collects.
//
// Unlike tf.TensorArray, write changes the array in place (and returns it, so that
// `ta = ta.write(i, x)` also works). With dynamic_size, writing past the end grows the array;
// otherwise it is a value_error, as is reading an element never written or stacking with gaps.
#include <vector>

#include "../eval/assign.hpp"

namespace tfx {

template <class T, index_t... E>
class tensor_array {
   public:
    using value_type = T;
    using element_shape = shape<E...>;
    static constexpr std::size_t element_rank = sizeof...(E);

    explicit tensor_array(std::size_t size = 0, bool dynamic_size = false) : size_(size), dynamic_(dynamic_size), written_(size, false) {
        if constexpr (element_shape::is_static) {
            elem_ = {std::size_t(E)...};
            elem_known_ = true;
            data_.resize(size_ * element_size());
        }
    }

    std::size_t size() const noexcept { return size_; }
    // The extents of an element (known after the first write when they are dynamic).
    dims_t<element_rank> element_dims() const { return elem_; }

    // Evaluates value into element i.
    template <class X>
    tensor_array& write(std::size_t i, const X& value) {
        using N = node_t<const X&>;
        static_assert(std::is_same_v<typename N::value_type, T>, "tfx: tensor_array: write of another element type (below)");
        static_assert(N::rank == element_rank, "tfx: tensor_array: write of a value of another rank (shapes below)");
        const auto d = as_node(value).dims();
        if (!elem_known_) {
            if (!dims_fit<element_shape>(d))
                throw shape_error("tfx: tensor_array: write of shape " + shape_string(d) + " into an array of elements " +
                                  shape_string_static<element_shape>());
            elem_ = d;
            elem_known_ = true;
            data_.resize(size_ * element_size());
        } else if (d != elem_) {
            throw shape_error("tfx: tensor_array: write of shape " + shape_string(d) + " at index " + std::to_string(i) +
                              " into an array of elements " + shape_string(elem_));
        }
        if (i >= size_) {
            if (!dynamic_)
                throw value_error("tfx: tensor_array: write at index " + std::to_string(i) + " of an array of size " +
                                  std::to_string(size_) + " (make it with dynamic_size to grow)");
            size_ = i + 1;
            written_.resize(size_, false);
            data_.resize(size_ * element_size());
        }
        tensor<T, E...> tmp = value;  // evaluated first: value may read this array
        std::copy_n(tmp.data(), element_size(), data_.data() + i * element_size());
        written_[i] = true;
        return *this;
    }

    // Element i, as an expression over the array's memory (valid until the array is written past
    // its end or destroyed).
    view<T, element_shape> read(std::size_t i) const {
        if (i >= size_ || !written_[i])
            throw value_error("tfx: tensor_array: read of element " + std::to_string(i) +
                              (i >= size_ ? " of an array of size " + std::to_string(size_) : std::string(", which was never written")));
        return view<T, element_shape>(data_.data() + i * element_size(), elem_);
    }

    // All elements stacked on a new leading axis, [size, E...].
    view<T, shape<dyn, E...>> stack() const {
        for (std::size_t i = 0; i < size_; ++i)
            if (!written_[i])
                throw value_error("tfx: tensor_array: stack with element " + std::to_string(i) + " of " +
                                  std::to_string(size_) + " never written");
        if (!elem_known_ && size_ > 0) throw value_error("tfx: tensor_array: stack of an array never written");
        dims_t<element_rank + 1> d{};
        d[0] = size_;
        for (std::size_t k = 0; k < element_rank; ++k) d[k + 1] = elem_[k];
        return view<T, shape<dyn, E...>>(data_.data(), d);
    }

    // The rows of t ([n, E...]) as the array's elements; the array's size becomes n.
    template <class X>
    tensor_array& unstack(const X& t) {
        using N = node_t<const X&>;
        static_assert(N::rank == element_rank + 1, "tfx: tensor_array: unstack needs a value of the element rank + 1 (shapes below)");
        tensor<T, dyn, E...> tmp = t;
        const auto d = tmp.shape();
        dims_t<element_rank> e{};
        for (std::size_t k = 0; k < element_rank; ++k) e[k] = d[k + 1];
        if (!dims_fit<element_shape>(e))
            throw shape_error("tfx: tensor_array: unstack of shape " + shape_string(d) + " into elements " +
                              shape_string_static<element_shape>());
        elem_ = e;
        elem_known_ = true;
        size_ = d[0];
        written_.assign(size_, true);
        data_.assign(tmp.data(), tmp.data() + tmp.size());
        return *this;
    }

   private:
    std::size_t element_size() const { return dims_size(elem_); }
    std::size_t size_;
    bool dynamic_;
    std::vector<bool> written_;
    dims_t<element_rank> elem_{};
    bool elem_known_ = false;
    std::vector<T> data_;
};

}  // namespace tfx
