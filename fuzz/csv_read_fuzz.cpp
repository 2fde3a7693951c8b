// libFuzzer target: the CSV reader of tfx::data (data::from_csv) over an arbitrary file (through a
// memfd). The first three bytes choose the reader's options, the rest is the file:
//
//   byte 0: bit 0 header on/off; bits 1-3 the delimiter (, ; \t space | " : ,);
//           bits 4-5 the feature type (float double int32 int64);
//           bits 6-7 the label (none, int64, double, int32)
//   byte 1: bits 0-1 the features tensor (tensor<T, dyn>, tensor<T, 2>, tensor<T>, tensor<T, dyn>);
//           bits 2-4 which features (default: all but the label; {0}; {1, 0}; {"a", "c"}; {2, 2});
//           bits 5-6 the label column (0, 1, "b", 3); bit 7 max_line_bytes 32 instead of 16 MiB
//   byte 2: read_bytes 1 + (byte & 31) for the first read (the second reads 64 KiB at a time)
//
// Whatever the file, from_csv and a full pass either work or throw a tfx::error whose message
// starts with "tfx: from_csv"; any other exception escapes and is a finding, as is a crash or UB.
// The file is read twice, with a small and a large read size: the elements and the error (its
// message too) must be the same. Every element has the same number of features, and there are no
// more elements than lines. Built and run by fuzz/run.sh; replayed over fuzz/corpus by CTest.
#include <tfx/data/csv.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace {

using tfx::dyn;
using tfx::tensor;
namespace data = tfx::data;

// What a pass gave: the values' bytes (so that NaNs compare equal to themselves), the number of
// elements and the error message ("" when none).
struct outcome {
    std::string values, error;
    std::size_t elements = 0;
    bool operator==(const outcome&) const = default;
};

template <class T>
void put(std::string& s, const T& v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    s.append(b, sizeof(T));
}

template <class F, class L>
outcome read(const std::string& path, const data::csv_options& opts) {
    outcome o;
    std::size_t width = 0;
    try {
        auto ds = data::from_csv<F, L>(path, opts);
        for (auto& e : ds) {
            const F* f;
            if constexpr (std::is_void_v<L>) {
                f = &e;
            } else {
                f = &std::get<0>(e);
                put(o.values, std::get<1>(e)());
            }
            const std::size_t n = f->size();
            if (n == 0 || (o.elements > 0 && n != width)) std::abort();  // one feature count for all
            width = n;
            for (auto v : *f) put(o.values, v);
            ++o.elements;
        }
    } catch (const tfx::error& e) {
        o.error = e.what();
        if (o.error.rfind("tfx: from_csv", 0) != 0) std::abort();  // the message names the operation
    }
    return o;
}

template <class F, class L>
void check(const std::string& path, data::csv_options opts, std::size_t small_read, std::size_t lines) {
    opts.read_bytes = small_read;
    const outcome a = read<F, L>(path, opts);
    opts.read_bytes = std::size_t(1) << 16;
    const outcome b = read<F, L>(path, opts);
    if (!(a == b)) {  // the read size must change nothing
        std::fprintf(stderr, "read_bytes %zu: %zu elements, error \"%s\"\nread_bytes 65536: %zu elements, error \"%s\"\n",
                     small_read, a.elements, a.error.c_str(), b.elements, b.error.c_str());
        std::abort();
    }
    if (a.elements > lines) std::abort();
}

template <class T, class L>
void with_shape(unsigned s, const std::string& path, const data::csv_options& opts, std::size_t rb, std::size_t lines) {
    switch (s) {
        case 1: check<tensor<T, 2>, L>(path, opts, rb, lines); break;
        case 2: check<tensor<T>, L>(path, opts, rb, lines); break;
        default: check<tensor<T, dyn>, L>(path, opts, rb, lines); break;
    }
}

template <class L>
void with_type(unsigned t, unsigned s, const std::string& path, const data::csv_options& opts, std::size_t rb,
               std::size_t lines) {
    switch (t) {
        case 0: with_shape<float, L>(s, path, opts, rb, lines); break;
        case 1: with_shape<double, L>(s, path, opts, rb, lines); break;
        case 2: with_shape<std::int32_t, L>(s, path, opts, rb, lines); break;
        default: with_shape<std::int64_t, L>(s, path, opts, rb, lines); break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    static const int fd = ::memfd_create("tfx-fuzz-csv", 0);
    if (fd < 0) std::abort();
    const std::uint8_t o0 = data[0], o1 = data[1], o2 = data[2];
    const std::string_view file(reinterpret_cast<const char*>(data) + 3, size - 3);
    if (::ftruncate(fd, 0) != 0 ||
        (!file.empty() && ::pwrite(fd, file.data(), file.size(), 0) != ::ssize_t(file.size())))
        std::abort();
    const std::string path = "/proc/self/fd/" + std::to_string(fd);

    static constexpr char delimiters[8] = {',', ';', '\t', ' ', '|', '"', ':', ','};
    data::csv_options opts;
    opts.header = (o0 & 1) != 0;
    opts.delimiter = delimiters[(o0 >> 1) & 7];
    switch ((o1 >> 2) & 7) {
        case 4: opts.features = {0}; break;
        case 5: opts.features = {1, 0}; break;
        case 6: opts.features = {"a", "c"}; break;
        case 7: opts.features = {2, 2}; break;
        default: break;  // every column but the label
    }
    const unsigned label = (o0 >> 6) & 3;
    if (label != 0) {
        switch ((o1 >> 5) & 3) {
            case 0: opts.label = 0; break;
            case 1: opts.label = 1; break;
            case 2: opts.label = "b"; break;
            default: opts.label = 3; break;
        }
    }
    if (o1 & 0x80) opts.max_line_bytes = 32;
    const std::size_t small_read = 1 + (o2 & 31);
    const std::size_t lines = std::size_t(std::count(file.begin(), file.end(), '\n')) + 1;

    const unsigned type = (o0 >> 4) & 3, shape = o1 & 3;
    switch (label) {
        case 0: with_type<void>(type, shape, path, opts, small_read, lines); break;
        case 1: with_type<tensor<std::int64_t>>(type, shape, path, opts, small_read, lines); break;
        case 2: with_type<tensor<double>>(type, shape, path, opts, small_read, lines); break;
        default: with_type<tensor<std::int32_t>>(type, shape, path, opts, small_read, lines); break;
    }
    return 0;
}
