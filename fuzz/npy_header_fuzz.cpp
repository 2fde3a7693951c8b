// libFuzzer target: the .npy preamble and header parser (tfx::io::parse_npy_header).
// Any input must give a header or a tfx::io_error; a header that parses must survive a round trip
// through make_npy_header. Built and run by fuzz/run.sh; replayed over fuzz/corpus by CTest.
#include <tfx/io/npy.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    tfx::io::npy_header h;
    try {
        h = tfx::io::parse_npy_header(bytes, "fuzz input");
    } catch (const tfx::io_error&) {
        return 0;
    }
    if (h.data_offset > size) std::abort();  // the header must lie inside the input
    const std::string again = tfx::io::make_npy_header(h.type, h.shape);
    const auto h2 = tfx::io::parse_npy_header(again, "round trip");  // must not throw
    if (h2.type != h.type || h2.shape != h.shape || h2.data_offset != again.size()) std::abort();
    return 0;
}
