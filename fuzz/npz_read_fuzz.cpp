// libFuzzer target: the .npz (ZIP) reader over a buffer: the central directory, ZIP64 records,
// local headers, stored and deflated members with their CRC-32, and the .npy inside each member.
#include <tfx/io/npz.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <memory>

namespace {

template <class T>
void stream(tfx::io::npy_reader& r) {
    if (r.rows() == 0) return;  // an empty array's rows may be huge, and hold nothing
    const std::size_t n_buf = std::max<std::size_t>(r.row_elements(), 1) * 2;
    const auto buf = std::make_unique<T[]>(n_buf);  // not std::vector: vector<bool> has no data()
    while (r.read_rows(std::span<T>(buf.get(), n_buf)) != 0) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    try {
        tfx::io::npz_reader z(bytes, "fuzz input");
        for (const auto& name : z.names()) {
            try {
                tfx::io::npy_reader r = z.open(name);
                switch (r.header().type) {
                    case tfx::io::dtype::float32: stream<float>(r); break;
                    case tfx::io::dtype::float64: stream<double>(r); break;
                    case tfx::io::dtype::int32: stream<std::int32_t>(r); break;
                    case tfx::io::dtype::int64: stream<std::int64_t>(r); break;
                    case tfx::io::dtype::bool_: stream<bool>(r); break;
                    case tfx::io::dtype::uint8: stream<std::uint8_t>(r); break;
                }
            } catch (const tfx::io_error&) {
            }
            try {
                (void)z.read<float, tfx::dyn, tfx::dyn>(name);
            } catch (const tfx::io_error&) {
            }
        }
    } catch (const tfx::io_error&) {
    }
    return 0;
}
