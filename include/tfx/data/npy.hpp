#pragma once
// data::from_npy<Elems...>(paths...): the rows (slices along the first axis) of one .npy file per
// element type, read with io::npy_reader in chunks of about 256 KiB, so memory is bounded by the
// chunk, not the file: from_npy<tensor<float, 64>>("x.npy") reads an array of shape (n, 64);
// from_npy<tensor<float, 64>, tensor<std::int64_t>>("x.npy", "y.npy") gives (x, y) tuples. The
// dtype must be the element type's (no conversion); the files must have the same number of rows.
// Files are checked when the dataset is made, and read again from the start on every pass.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "../io/npy.hpp"
#include "dataset.hpp"

namespace tfx::data {

namespace detail {

inline constexpr std::size_t npy_chunk_bytes = std::size_t(1) << 18;

// Opens a file and checks it against rows of Elem; returns the reader and the row shape.
template <class Elem>
std::pair<io::npy_reader, dims_t<Elem::rank>> open_npy_rows(const std::filesystem::path& path) {
    using T = typename Elem::value_type;
    using S = typename Elem::shape_type;
    io::npy_reader r(path);
    r.template check_type<T>("from_npy");
    const auto& shape = r.header().shape;
    dims_t<Elem::rank> d{};
    bool fits = shape.size() == Elem::rank + 1;
    for (std::size_t i = 0; fits && i < Elem::rank; ++i) {
        d[i] = shape[i + 1];
        fits = S::extents[i] == dyn || std::size_t(S::extents[i]) == d[i];
    }
    if (!fits) {
        std::string want = "[?";
        for (auto e : S::extents) want += e == dyn ? std::string(", ?") : ", " + std::to_string(e);
        throw io_error("tfx: from_npy: " + r.where() + ": the array's shape is " + shape_string(shape) + ", expected " +
                       want + "] (rows of a tensor of shape " + shape_string_static<S>() + ")");
    }
    return {std::move(r), d};
}

// The number of rows of a file that fits rows of Elem, and its name for messages.
template <class Elem>
std::pair<std::size_t, std::string> npy_row_count(const std::filesystem::path& path) {
    const auto opened = open_npy_rows<Elem>(path);
    return {opened.first.rows(), opened.first.where()};
}

// The rows of one file, a chunk at a time.
template <class Elem>
class npy_rows {
    using T = typename Elem::value_type;
    io::npy_reader reader_;
    dims_t<Elem::rank> row_dims_;
    std::size_t row_elems_, chunk_rows_, have_ = 0, at_ = 0;
    std::unique_ptr<T[]> chunk_;

   public:
    // The chunk holds at most rows() rows (and at least one, however large a row is). An empty
    // array gets no chunk at all: its rows may be huge (shape (0, 100000, 100000) is a valid file
    // of no data), and there is nothing to read into it. Otherwise the reader has already checked
    // the data's size against the file's (a truncated file is an io_error when it is opened), so
    // the chunk is never larger than the data the file really holds.
    explicit npy_rows(std::pair<io::npy_reader, dims_t<Elem::rank>> opened)
        : reader_(std::move(opened.first)), row_dims_(opened.second), row_elems_(dims_size(row_dims_)) {
        if (reader_.rows() == 0) {
            chunk_rows_ = 0;
            return;
        }
        const std::size_t row_bytes = std::max<std::size_t>(row_elems_ * sizeof(T), 1);
        chunk_rows_ = std::max<std::size_t>(1, std::min(npy_chunk_bytes / row_bytes, reader_.rows()));
        chunk_.reset(new T[chunk_rows_ * row_elems_ + 1]);
    }
    std::size_t rows() const noexcept { return reader_.rows(); }
    const std::string& where() const noexcept { return reader_.where(); }

    bool next(Elem& out) {
        if (at_ == have_) {
            if (!chunk_) return false;  // an empty array
            have_ = reader_.read_rows(chunk_.get(), chunk_rows_);
            at_ = 0;
            if (have_ == 0) return false;
        }
        if constexpr (!Elem::is_static) out.resize(row_dims_);
        std::copy_n(chunk_.get() + at_ * row_elems_, row_elems_, out.data());
        ++at_;
        return true;
    }
};

template <class... Elems>
struct npy_spec {
    std::vector<std::filesystem::path> paths;
    std::size_t rows = 0;
};

}  // namespace detail

template <class... Elems>
class npy_dataset : public dataset_base<npy_dataset<Elems...>> {
    std::shared_ptr<const detail::npy_spec<Elems...>> spec_;

    template <std::size_t... I>
    static std::tuple<detail::npy_rows<Elems>...> open(const detail::npy_spec<Elems...>& s, std::index_sequence<I...>) {
        return {detail::npy_rows<Elems>(detail::open_npy_rows<Elems>(s.paths[I]))...};
    }

   public:
    using element_type =
        std::conditional_t<sizeof...(Elems) == 1, std::tuple_element_t<0, std::tuple<Elems...>>, std::tuple<Elems...>>;

    explicit npy_dataset(std::shared_ptr<const detail::npy_spec<Elems...>> spec) : spec_(std::move(spec)) {}

    class cursor {
        std::tuple<detail::npy_rows<Elems>...> files_;

       public:
        explicit cursor(std::tuple<detail::npy_rows<Elems>...> f) : files_(std::move(f)) {}
        bool next(element_type& out) {
            if constexpr (sizeof...(Elems) == 1)
                return std::get<0>(files_).next(out);
            else
                return [&]<std::size_t... I>(std::index_sequence<I...>) {
                    return (std::get<I>(files_).next(std::get<I>(out)) && ...);
                }(std::index_sequence_for<Elems...>{});
        }
    };
    cursor make_cursor() const { return cursor(open(*spec_, std::index_sequence_for<Elems...>{})); }
    std::int64_t cardinality() const noexcept { return std::int64_t(spec_->rows); }
};

template <class... Elems, class... P>
    requires(sizeof...(P) > 0 && (std::is_constructible_v<std::filesystem::path, const P&> && ...))
auto from_npy(const P&... paths) {
    static_assert(sizeof...(Elems) == sizeof...(P),
                  "tfx: from_npy: give one element type per file, e.g. from_npy<tensor<float, 64>>(\"x.npy\") or "
                  "from_npy<tensor<float, 64>, tensor<std::int64_t>>(\"x.npy\", \"y.npy\")");
    static_assert((is_tensor_v<Elems> && ...),
                  "tfx: from_npy: the element types must be tensors, e.g. tensor<float, 64>");
    if constexpr (sizeof...(Elems) == sizeof...(P) && (is_tensor_v<Elems> && ...)) {
        auto spec = std::make_shared<detail::npy_spec<Elems...>>();
        spec->paths = {std::filesystem::path(paths)...};
        // Open every file once now, so that a missing, foreign or mismatched file fails here.
        std::vector<std::pair<std::size_t, std::string>> rows;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (rows.push_back(detail::npy_row_count<Elems>(spec->paths[I])), ...);
        }(std::index_sequence_for<Elems...>{});
        for (const auto& [n, where] : rows)
            if (n != rows[0].first)
                throw io_error("tfx: from_npy: " + rows[0].second + " has " + std::to_string(rows[0].first) +
                               " rows but " + where + " has " + std::to_string(n));
        spec->rows = rows[0].first;
        return npy_dataset<Elems...>(std::move(spec));
    }
}

}  // namespace tfx::data
