// libFuzzer target: reading a whole .npy file (tfx::io::npy_reader over a buffer): the header,
// the size checks, whole-array reads into tensors and row-by-row streaming.
#include <tfx/io/npy.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <memory>

namespace {

using tfx::dyn;

template <class T>
void read_whole(std::string_view bytes) {
    tfx::io::npy_reader r(bytes, "fuzz input");
    switch (r.header().shape.size()) {
        case 0: (void)tfx::io::read_tensor<T>(r); break;
        case 1: (void)tfx::io::read_tensor<T, dyn>(r); break;
        case 2: (void)tfx::io::read_tensor<T, dyn, dyn>(r); break;
        case 3: (void)tfx::io::read_tensor<T, dyn, dyn, dyn>(r); break;
        default: (void)tfx::io::read_tensor<T, dyn, dyn, dyn, dyn>(r); break;  // io_error for rank > 4
    }
}

template <class T>
void stream_rows(std::string_view bytes) {
    tfx::io::npy_reader r(bytes, "fuzz input");
    if (r.rows() == 0) {  // an empty array's rows may be huge: (0, 10**9) is fine, and holds nothing
        if (r.read_rows(std::span<T>()) != 0) std::abort();
        return;
    }
    // The data's size was checked against the input: a row is no larger than the input.
    const std::size_t n_buf = std::max<std::size_t>(r.row_elements(), 1) * 3;
    const auto buf = std::make_unique<T[]>(n_buf);  // not std::vector: vector<bool> has no data()
    std::size_t rows = 0;
    while (std::size_t n = r.read_rows(std::span<T>(buf.get(), n_buf))) rows += n;
    if (rows != r.rows() || r.rows_left() != 0) std::abort();
}

template <class T>
void exercise(std::string_view bytes) {
    try {
        read_whole<T>(bytes);
    } catch (const tfx::io_error&) {
    }
    try {
        stream_rows<T>(bytes);
    } catch (const tfx::io_error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    tfx::io::dtype type;
    try {
        type = tfx::io::npy_reader(bytes, "fuzz input").header().type;
    } catch (const tfx::io_error&) {
        return 0;
    }
    switch (type) {
        case tfx::io::dtype::float32: exercise<float>(bytes); break;
        case tfx::io::dtype::float64: exercise<double>(bytes); break;
        case tfx::io::dtype::int32: exercise<std::int32_t>(bytes); break;
        case tfx::io::dtype::int64: exercise<std::int64_t>(bytes); break;
        case tfx::io::dtype::bool_: exercise<bool>(bytes); break;
        case tfx::io::dtype::uint8: exercise<std::uint8_t>(bytes); break;
    }
    try {  // the wrong element type is an io_error, never a read
        (void)tfx::io::read_tensor<std::int32_t, dyn, dyn>(*std::make_unique<tfx::io::npy_reader>(bytes, "fuzz input"));
    } catch (const tfx::io_error&) {
    }
    return 0;
}
