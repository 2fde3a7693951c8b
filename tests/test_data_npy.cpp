// tfx::data::from_npy: rows of .npy files (io::npy_reader), streamed in chunks; dtype, shape and
// row-count checks at the call.
#include <tfx/data/data.hpp>
#include <tfx/io/npy.hpp>
#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include "proc_self.hpp"
#include "temp_dir.hpp"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace {

namespace fs = std::filesystem;
using tfx::dyn;
using tfx::tensor;
namespace data = tfx::data;
using Catch::Matchers::Contains;

// The message of the exception of type E that f throws ("(no exception)" when it throws none).
template <class E, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "(no exception)";
}

using tfxtest::temp_dir;

using tfxtest::bytes_read;

tensor<float, dyn, 3> rows(std::size_t n) {
    tensor<float, dyn, 3> x(n);
    std::iota(x.begin(), x.end(), 0.f);
    return x;
}
tensor<std::int64_t, dyn> labels(std::size_t n) {
    tensor<std::int64_t, dyn> y(n);
    std::iota(y.begin(), y.end(), std::int64_t(0));
    return y;
}

}  // namespace

TEST_CASE("from_npy yields the rows of one file, or tuples of rows of several", "[data][npy]") {
    temp_dir tmp;
    tfx::io::save_npy(tmp.path / "x.npy", rows(5));
    tfx::io::save_npy(tmp.path / "y.npy", labels(5));

    auto xs = data::from_npy<tensor<float, 3>>(tmp.path / "x.npy");
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(xs)>, tensor<float, 3>>);
    CHECK(xs.cardinality() == 5);
    std::size_t i = 0;
    for (const auto& x : xs) {
        CHECK(x(0) == float(3 * i));
        CHECK(x(2) == float(3 * i + 2));
        ++i;
    }
    CHECK(i == 5);

    auto ds = data::from_npy<tensor<float, 3>, tensor<std::int64_t>>(tmp.path / "x.npy", tmp.path / "y.npy");
    for (int pass = 0; pass < 2; ++pass) {
        std::int64_t n = 0;
        for (auto& [x, y] : ds) {
            CHECK(y() == n);
            CHECK(x(1) == float(3 * n + 1));
            ++n;
        }
        CHECK(n == 5);
    }
    // Dynamic row extents come from the file; rows batch like any other element.
    auto dynamic = data::from_npy<tensor<float, dyn>>((tmp.path / "x.npy").string()).batch(2);
    std::vector<std::size_t> sizes;
    for (const auto& b : dynamic) {
        CHECK(b.shape()[1] == 3);
        sizes.push_back(b.shape()[0]);
    }
    CHECK(sizes == std::vector<std::size_t>{2, 2, 1});
}

TEST_CASE("from_npy reads large files a chunk at a time", "[data][npy]") {
    temp_dir tmp;
    constexpr std::size_t n = 20000;  // 20000 x 64 floats: 5 MB, about 20 chunks
    tensor<float, dyn, 64> x(n);
    std::iota(x.begin(), x.end(), 0.f);
    tfx::io::save_npy(tmp.path / "big.npy", x);
    auto ds = data::from_npy<tensor<float, 64>>(tmp.path / "big.npy");
    const long long before = bytes_read();
    {
        auto it = ds.begin();
        CHECK((*it)(63) == 63.f);
    }
    if (before >= 0) CHECK(bytes_read() - before <= std::int64_t(data::detail::npy_chunk_bytes) + 4096);
    std::size_t i = 0;
    bool ok = true;
    for (const auto& r : ds) {
        ok = ok && r(0) == float(i * 64) && r(63) == float(i * 64 + 63);
        ++i;
    }
    CHECK(ok);
    CHECK(i == n);
}

TEST_CASE("from_npy reads a file again on each pass, and batch copes with more rows than it had", "[data][npy]") {
    temp_dir tmp;
    tfx::io::save_npy(tmp.path / "y.npy", labels(3));
    auto ds = data::from_npy<tensor<std::int64_t>>(tmp.path / "y.npy").batch(10);
    CHECK(ds.cardinality() == 1);
    tfx::io::save_npy(tmp.path / "y.npy", labels(7));  // replaced: 7 rows where 3 were counted
    std::vector<std::size_t> sizes;
    for (const auto& b : ds) {
        sizes.push_back(b.shape()[0]);
        CHECK(b(6) == 6);
    }
    CHECK(sizes == std::vector<std::size_t>{7});
}

TEST_CASE("from_npy checks dtype, shape and row counts when the dataset is made", "[data][npy]") {
    temp_dir tmp;
    tfx::io::save_npy(tmp.path / "x.npy", rows(5));
    tfx::io::save_npy(tmp.path / "y.npy", labels(4));
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)data::from_npy<tensor<double, 3>>(tmp.path / "x.npy"); }),
               Contains("x.npy") && Contains("float32"));
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)data::from_npy<tensor<float, 4>>(tmp.path / "x.npy"); }),
               Contains("x.npy") && Contains("[5, 3]") && Contains("[?, 4]"));
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)data::from_npy<tensor<float>>(tmp.path / "x.npy"); }),
               Contains("[?]"));
    CHECK_THAT(
        message_of<tfx::io_error>([&] {
            (void)(data::from_npy<tensor<float, 3>, tensor<std::int64_t>>(tmp.path / "x.npy", tmp.path / "y.npy"));
        }),
        Contains("5 rows") && Contains("y.npy") && Contains("has 4"));
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)data::from_npy<tensor<float, 3>>(tmp.path / "missing.npy"); }),
               Contains("missing.npy"));
    { std::ofstream(tmp.path / "junk.npy", std::ios::binary) << "not an npy file at all"; }
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)data::from_npy<tensor<float, 3>>(tmp.path / "junk.npy"); }),
               Contains("junk.npy"));
    // Truncated: the header promises more data than the file has.
    {
        const auto full = fs::file_size(tmp.path / "x.npy");
        fs::copy_file(tmp.path / "x.npy", tmp.path / "cut.npy");
        fs::resize_file(tmp.path / "cut.npy", full - 8);
    }
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)data::from_npy<tensor<float, 3>>(tmp.path / "cut.npy"); }),
               Contains("cut.npy"));
}

namespace {
// A .npy file of the given header (dtype, shape) followed by `data_bytes` zero bytes, which may
// be fewer than the shape needs (a truncated file).
fs::path write_npy_header(const fs::path& p, tfx::io::dtype type, std::vector<std::size_t> shape,
                          std::size_t data_bytes) {
    std::ofstream out(p, std::ios::binary);
    out << tfx::io::make_npy_header(type, shape) << std::string(data_bytes, '\0');
    return p;
}
}  // namespace

TEST_CASE("from_npy of an empty array with huge rows allocates nothing for them", "[data][npy]") {
    temp_dir tmp;
    // Valid files of no data whose rows would be 40 GB and 4 EiB: sizing a read chunk from the row
    // size made the first pass throw std::bad_alloc (the second always, whatever the machine).
    for (std::size_t extent : {std::size_t(100000), std::size_t(1) << 30}) {
        INFO("shape (0, " << extent << ", " << extent << ")");
        const auto p = write_npy_header(tmp.path / "empty.npy", tfx::io::dtype::float32, {0, extent, extent}, 0);
        auto ds = data::from_npy<tensor<float, dyn, dyn>>(p);
        CHECK(ds.cardinality() == 0);
        std::size_t n = 0;
        CHECK_NOTHROW([&] {
            for (const auto& x : ds) n += x.size();
        }());
        CHECK(n == 0);
        // With a second file of as many rows (none), in tuples and batched.
        const auto q = write_npy_header(tmp.path / "labels.npy", tfx::io::dtype::int64, {0}, 0);
        auto xy = data::from_npy<tensor<float, dyn, dyn>, tensor<std::int64_t>>(p, q).batch(8);
        CHECK_NOTHROW([&] {
            for (const auto& b : xy) n += std::get<1>(b).size() + 1;
        }());
        CHECK(n == 0);
    }
}

TEST_CASE("from_npy: a truncated file with huge rows is an io_error, not a huge allocation", "[data][npy]") {
    temp_dir tmp;
    // Two rows of 10**10 floats claimed, 16 bytes present.
    const auto cut = write_npy_header(tmp.path / "cut.npy", tfx::io::dtype::float32, {2, 100000, 100000}, 16);
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)data::from_npy<tensor<float, dyn, dyn>>(cut); }),
               Contains("cut.npy") && Contains("80000000000 bytes of data") && Contains("but 16 bytes follow") &&
                   Contains("truncated"));
    // The same when the file is cut after the dataset was made: each pass opens it again, and
    // checks it before it allocates anything.
    const auto p = tmp.path / "x.npy";
    tfx::io::save_npy(p, rows(5));
    auto ds = data::from_npy<tensor<float, dyn>>(p);
    CHECK(ds.cardinality() == 5);
    write_npy_header(p, tfx::io::dtype::float32, {2, std::size_t(1) << 40}, 16);
    CHECK_THAT(message_of<tfx::io_error>([&] {
                   for (const auto& x : ds) (void)x;
               }),
               Contains("x.npy") && Contains("(2, 1099511627776)") && Contains("truncated"));
}
