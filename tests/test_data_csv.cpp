// tfx::data::from_csv: header, delimiter, column selection, types, malformed input (file and line
// in every message, nothing partial handed on) and streaming of large files in bounded memory.
#include <tfx/data/data.hpp>
#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include "proc_self.hpp"
#include "temp_dir.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
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
using tfxtest::status_kb;

using xy_t = std::tuple<tensor<float, dyn>, tensor<std::int64_t>>;

template <class D>
std::vector<std::vector<float>> feature_rows(const D& ds) {
    std::vector<std::vector<float>> r;
    for (const auto& e : ds) {
        if constexpr (tfx::is_tensor_v<std::remove_cvref_t<decltype(e)>>)
            r.emplace_back(e.begin(), e.end());
        else
            r.emplace_back(std::get<0>(e).begin(), std::get<0>(e).end());
    }
    return r;
}

const std::string iris_like =
    "sepal_length,sepal_width,petal_length,petal_width,species\n"
    "5.1,3.5,1.4,0.2,0\n"
    "7.0,3.2,4.7,1.4,1\n"
    "6.3,3.3,6.0,2.5,2\n";

}  // namespace

TEST_CASE("from_csv reads a header, features by default and a label by name", "[data][csv]") {
    temp_dir tmp;
    const auto p = tmp.write("iris.csv", iris_like);
    auto ds = data::from_csv<tensor<float, dyn>, tensor<std::int64_t>>(p, {.label = "species"});
    STATIC_REQUIRE(std::is_same_v<data::element_t<decltype(ds)>, xy_t>);
    CHECK(ds.cardinality() == data::unknown_cardinality);
    std::vector<std::int64_t> ys;
    std::vector<std::vector<float>> xs;
    for (auto& [x, y] : ds) {
        xs.emplace_back(x.begin(), x.end());
        ys.push_back(y());
    }
    CHECK(ys == std::vector<std::int64_t>{0, 1, 2});
    REQUIRE(xs.size() == 3);
    CHECK(xs[1] == std::vector<float>{7.0f, 3.2f, 4.7f, 1.4f});
    // Two passes read the file twice.
    CHECK(feature_rows(ds) == xs);
}

TEST_CASE("from_csv selects and orders feature columns by name or index", "[data][csv]") {
    temp_dir tmp;
    const auto p = tmp.write("iris.csv", iris_like);
    auto by_name = data::from_csv<tensor<double, 2>, tensor<std::int32_t>>(
        p, {.features = {"petal_width", "sepal_length"}, .label = 4});
    STATIC_REQUIRE(
        std::is_same_v<data::element_t<decltype(by_name)>, std::tuple<tensor<double, 2>, tensor<std::int32_t>>>);
    std::vector<double> firsts;
    for (auto& [x, y] : by_name) {
        firsts.push_back(x(0));
        CHECK(x(1) > 5.0);
    }
    CHECK(firsts == std::vector<double>{0.2, 1.4, 2.5});
    auto by_index = data::from_csv<tensor<float, dyn>>(p, {.features = {3, 0}});
    CHECK(feature_rows(by_index)[2] == std::vector<float>{2.5f, 6.3f});
    // One column as a rank-0 tensor.
    auto one = data::from_csv<tensor<float>>(p, {.features = {"petal_length"}});
    std::vector<float> v;
    for (const auto& e : one) v.push_back(e());
    CHECK(v == std::vector<float>{1.4f, 4.7f, 6.0f});
}

TEST_CASE("from_csv without a header: columns by index, the label among them", "[data][csv]") {
    temp_dir tmp;
    const auto p = tmp.write("plain.csv", "1,2,3\n4,5,6\n");
    auto ds = data::from_csv<tensor<float, 2>, tensor<std::int64_t>>(p, {.header = false, .label = 0});
    std::vector<std::int64_t> ys;
    std::vector<std::vector<float>> xs;
    for (auto& [x, y] : ds) {
        ys.push_back(y());
        xs.emplace_back(x.begin(), x.end());
    }
    CHECK(ys == std::vector<std::int64_t>{1, 4});
    CHECK(xs == std::vector<std::vector<float>>{{2, 3}, {5, 6}});
    CHECK(feature_rows(data::from_csv(p, {.header = false})).size() == 2);
}

TEST_CASE("from_csv handles delimiters, quotes, blanks, CRLF, a BOM and a missing last newline", "[data][csv]") {
    temp_dir tmp;
    const auto semi = tmp.write("semi.csv",
                                "\xEF\xBB\xBF"
                                "a;\"b;c\";d\r\n 1 ; \"2\" ;3\r\n\r\n4;+5;-6e1");
    auto ds = data::from_csv(semi, {.delimiter = ';', .features = {"a", "b;c", "d"}});
    CHECK(feature_rows(ds) == std::vector<std::vector<float>>{{1, 2, 3}, {4, 5, -60}});

    const auto tabs = tmp.write("tabs.tsv", "x\ty\n1.5\t2\n\n  \n3\t4\n");
    CHECK(feature_rows(data::from_csv(tabs, {.delimiter = '\t'})) ==
          std::vector<std::vector<float>>{{1.5f, 2}, {3, 4}});

    const auto special = tmp.write("special.csv", "v\nnan\ninf\n-inf\n1e-3\n");
    auto rows = feature_rows(data::from_csv(special));
    REQUIRE(rows.size() == 4);
    CHECK(std::isnan(rows[0][0]));
    CHECK(rows[1][0] == std::numeric_limits<float>::infinity());
    CHECK(rows[3][0] == 1e-3f);
}

TEST_CASE("from_csv gives the same elements whatever the read size", "[data][csv]") {
    temp_dir tmp;
    std::string text = "a,b,label\n";
    for (int i = 0; i < 300; ++i)
        text += std::to_string(i) + ".25," + std::to_string(i * 3) + "," + std::to_string(i % 7) + "\n";
    const auto p = tmp.write("lines.csv", text);
    auto read = [&](std::size_t bytes) {
        std::vector<float> r;
        for (auto& [x, y] :
             data::from_csv<tensor<float, 2>, tensor<std::int64_t>>(p, {.label = "label", .read_bytes = bytes})) {
            r.push_back(x(0));
            r.push_back(x(1));
            r.push_back(float(y()));
        }
        return r;
    };
    const auto big = read(1 << 16);
    REQUIRE(big.size() == 900);
    CHECK(big[3 * 299] == 299.25f);
    for (std::size_t bytes : {1, 2, 7, 64}) CHECK(read(bytes) == big);
}

TEST_CASE("from_csv feeds batch: dynamic features stack into a matrix", "[data][csv]") {
    temp_dir tmp;
    const auto p = tmp.write("iris.csv", iris_like);
    auto ds = data::from_csv<tensor<float, dyn>, tensor<std::int64_t>>(p, {.label = "species"}).batch(2);
    std::vector<std::size_t> sizes;
    for (auto& [x, y] : ds) {
        tensor<float, dyn, 4> fixed = x;  // checked conversion to the static width
        CHECK(fixed.shape()[0] == y.shape()[0]);
        sizes.push_back(y.shape()[0]);
    }
    CHECK(sizes == std::vector<std::size_t>{2, 1});
}

// ------------------------------------------------------------------------------------------------
// malformed input

TEST_CASE("from_csv: a line with the wrong number of fields names the file and the line", "[data][csv]") {
    temp_dir tmp;
    const auto few = tmp.write("few.csv", "a,b,c\n1,2,3\n\n4,5\n7,8,9\n");
    auto ds = data::from_csv(few);
    std::vector<std::vector<float>> got;
    try {
        for (const auto& x : ds) got.emplace_back(x.begin(), x.end());
        FAIL("no error");
    } catch (const tfx::io_error& e) {
        const std::string m = e.what();
        CHECK_THAT(m,
                   Contains("few.csv") && Contains("line 4") && Contains("expected 3 fields") && Contains("found 2"));
    }
    CHECK(got == std::vector<std::vector<float>>{{1, 2, 3}});  // only complete elements arrived

    const auto many = tmp.write("many.csv", "1,2\n3,4,5\n");
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)feature_rows(data::from_csv(many, {.header = false})); }),
               Contains("many.csv") && Contains("line 2") && Contains("as the first line has") && Contains("found 3"));
}

TEST_CASE("from_csv: a field that is not a number names the file, line and column", "[data][csv]") {
    temp_dir tmp;
    const auto p = tmp.write("bad.csv", "a,b,label\n1,2,0\n3,x3,1\n");
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)feature_rows(data::from_csv(p)); }),
               Contains("bad.csv") && Contains("line 3") && Contains("column 1 ('b')") &&
                   Contains("\"x3\" is not a number") && Contains("expected float"));
    const auto q = tmp.write("label.csv", "a,label\n1,2.5\n");
    CHECK_THAT(message_of<tfx::io_error>([&] {
                   (void)feature_rows(data::from_csv<tensor<float, dyn>, tensor<std::int64_t>>(q, {.label = "label"}));
               }),
               Contains("line 2") && Contains("\"2.5\" is not an integer") && Contains("int64"));
    const auto e = tmp.write("empty_field.csv", "a,b\n1,\n");
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)feature_rows(data::from_csv(e)); }),
               Contains("empty_field.csv") && Contains("line 2") && Contains("column 1") && Contains("is empty"));
    const auto big = tmp.write("range.csv", "a\n1e999\n");
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)feature_rows(data::from_csv(big)); }),
               Contains("line 2") && Contains("out of range"));
    const auto i32 = tmp.write("i32.csv", "a,y\n1,3000000000\n");
    CHECK_THAT(message_of<tfx::io_error>([&] {
                   (void)feature_rows(data::from_csv<tensor<float, dyn>, tensor<std::int32_t>>(i32, {.label = "y"}));
               }),
               Contains("out of range") && Contains("int32"));
    const auto quote = tmp.write("quote.csv", "a,b\n1,\"2\n");
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)feature_rows(data::from_csv(quote)); }),
               Contains("quote.csv") && Contains("line 2") && Contains("not closed"));
}

TEST_CASE("from_csv: no partially parsed element is handed on, not even into a batch", "[data][csv]") {
    temp_dir tmp;
    const auto p = tmp.write("bad.csv", "a,b\n1,2\n3,4\n5,6\n7,oops\n");
    auto ds = data::from_csv(p).batch(2);
    std::vector<std::vector<float>> batches;
    CHECK_THROWS_AS(
        [&] {
            for (const auto& b : ds) batches.emplace_back(b.begin(), b.end());
        }(),
        tfx::io_error);
    CHECK(batches == std::vector<std::vector<float>>{{1, 2, 3, 4}});
    // The element seen last before the error is the last good line, whole.
    auto it = data::from_csv(p).begin();
    ++it;
    ++it;
    const auto& x = *it;
    CHECK(std::vector<float>(x.begin(), x.end()) == std::vector<float>{5, 6});
    CHECK_THROWS_AS(++it, tfx::io_error);
}

TEST_CASE("from_csv: an empty file is an error naming the file, a header alone is an empty dataset", "[data][csv]") {
    temp_dir tmp;
    const auto empty = tmp.write("empty.csv", "");
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)data::from_csv(empty); }),
               Contains("empty.csv") && Contains("line 1") && Contains("the file is empty"));
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)data::from_csv(empty, {.header = false}); }),
               Contains("expected a first row of data"));
    const auto blank = tmp.write("blank.csv", "\n  \n\n");
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)data::from_csv(blank); }),
               Contains("blank.csv") && Contains("line 4"));
    const auto header_only = tmp.write("header.csv", "a,b\n");
    CHECK(feature_rows(data::from_csv(header_only)).empty());
}

TEST_CASE("from_csv: bad options and columns are reported at the call", "[data][csv]") {
    temp_dir tmp;
    const auto p = tmp.write("iris.csv", iris_like);
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)data::from_csv(tmp.path / "missing.csv"); }),
               Contains("missing.csv") && Contains("cannot open"));
    CHECK_THAT(message_of<tfx::io_error>([&] {
                   (void)data::from_csv(p, {.features = {"sepal_length", "colour"}});
               }),
               Contains("no column named 'colour'") && Contains("'petal_width'"));
    CHECK_THAT(message_of<tfx::io_error>([&] { (void)data::from_csv(p, {.features = {9}}); }),
               Contains("column 9 is out of range"));
    CHECK_THAT(message_of<tfx::value_error>([&] { (void)data::from_csv(p, {.header = false, .features = {"a"}}); }),
               Contains("no header row"));
    CHECK_THAT(message_of<tfx::value_error>([&] { (void)data::from_csv(p, {.label = "species"}); }),
               Contains("Label type is void"));
    CHECK_THAT(
        message_of<tfx::value_error>([&] { (void)(data::from_csv<tensor<float, dyn>, tensor<std::int64_t>>(p)); }),
        Contains("options.label names no column"));
    CHECK_THAT(message_of<tfx::io_error>(
                   [&] { (void)(data::from_csv<tensor<float, 3>, tensor<std::int64_t>>(p, {.label = "species"})); }),
               Contains("4 feature columns are selected") && Contains("[3]"));
    CHECK_THROWS_AS(data::csv_column(-1), tfx::value_error);
}

TEST_CASE("from_csv: a line longer than max_line_bytes is an error, not unbounded memory", "[data][csv]") {
    temp_dir tmp;
    const auto p = tmp.write("long.csv", "a\n1\n" + std::string(5000, '7') + "\n");
    CHECK_THAT(message_of<tfx::io_error>(
                   [&] { (void)feature_rows(data::from_csv(p, {.read_bytes = 256, .max_line_bytes = 1000})); }),
               Contains("long.csv") && Contains("line 3") && Contains("longer than 1000 bytes"));
}

TEST_CASE("from_csv: max_line_bytes holds for a line inside one read as for one that spans reads", "[data][csv]") {
    // Found by fuzz/csv_read_fuzz.cpp: only lines that spanned two reads were checked, so a long
    // line passed or failed depending on read_bytes (corpus: regression-max-line-in-one-read.csv).
    temp_dir tmp;
    const auto p = tmp.write("long.csv", "a,b\n1,2\n" + std::string(50, '1') + ",2\n3,4\n");
    for (std::size_t bytes : {std::size_t(5), std::size_t(64), std::size_t(1) << 16}) {
        INFO("read_bytes " << bytes);
        std::vector<float> firsts;
        const std::string msg = message_of<tfx::io_error>([&] {
            for (const auto& x : data::from_csv(p, {.read_bytes = bytes, .max_line_bytes = 32})) firsts.push_back(x(0));
        });
        CHECK(firsts == std::vector<float>{1});  // the line before is delivered, then the error
        CHECK_THAT(msg, Contains("long.csv") && Contains("line 3") && Contains("longer than 32 bytes"));
    }
    // A line of exactly max_line_bytes (without its '\n', with its '\r') is accepted.
    const auto exact = tmp.write("exact.csv", "a,b\r\n" + std::string(7, '9') + ",2\r\n");
    for (std::size_t bytes : {std::size_t(3), std::size_t(1) << 16}) {
        INFO("read_bytes " << bytes);
        CHECK(feature_rows(data::from_csv(exact, {.read_bytes = bytes, .max_line_bytes = 10})) ==
              std::vector<std::vector<float>>{{9999999.f, 2.f}});
        CHECK_THAT(message_of<tfx::io_error>(
                       [&] { (void)feature_rows(data::from_csv(exact, {.read_bytes = bytes, .max_line_bytes = 9})); }),
                   Contains("line 2") && Contains("longer than 9 bytes"));
    }
}

// ------------------------------------------------------------------------------------------------
// streaming

TEST_CASE("from_csv streams a large file: it reads as it goes, and memory stays bounded", "[data][csv]") {
    temp_dir tmp;
    const auto p = tmp.path / "large.csv";
    constexpr int lines = 320000;
    {
        std::ofstream out(p, std::ios::binary);
        out << "f0,f1,f2,f3,f4,f5,f6,f7,label\n";
        char buf[256];
        for (int i = 0; i < lines; ++i) {
            const int n = std::snprintf(buf, sizeof buf, "%d.5,%d.25,0.125,1e-2,-3.75,%d,12345.5,0.0001,%d\n", i,
                                        i % 1000, i % 17, i % 10);
            out.write(buf, n);
        }
    }
    const auto size = fs::file_size(p);
    REQUIRE(size > 16'000'000);  // ~16.6 MB

    const std::size_t chunk = 1 << 16;
    auto ds = data::from_csv<tensor<float, 8>, tensor<std::int32_t>>(p, {.label = "label", .read_bytes = chunk});

    // Counting approach 1: the bytes read from the kernel. Taking a few elements reads a chunk or
    // two (the header, then the first lines), not the file.
    const long long before = bytes_read();
    if (before < 0) WARN("no /proc/self/io: the read count is not checked");
    std::size_t n = 0;
    for (auto& [x, y] : ds.take(10)) n += std::size_t(y() >= 0);
    CHECK(n == 10);
    if (before >= 0) CHECK(bytes_read() - before <= 2 * std::int64_t(chunk) + 16384);

    // Counting approach 2: the peak resident memory during a full pass, after resetting the
    // peak (clear_refs). Reading the whole file at once would raise it by its size (16 MB).
    const bool reset = std::ofstream("/proc/self/clear_refs") << "5" ? true : false;
    const long long rss0 = status_kb("VmRSS");
    const long long read0 = bytes_read();
    double sum = 0;
    std::int64_t labels = 0;
    n = 0;
    for (auto& [x, y] : ds) {
        sum += x(0);
        labels += y();
        ++n;
    }
    CHECK(n == std::size_t(lines));
    CHECK(labels == std::int64_t(lines / 10) * 45);
    CHECK(sum == Approx(double(lines) * double(lines - 1) / 2 + 0.5 * lines).epsilon(1e-6));
    if (read0 >= 0) CHECK(bytes_read() - read0 >= std::int64_t(size));  // the whole file, through the chunk buffer
    const long long peak = status_kb("VmHWM");
    if (reset && rss0 > 0 && peak > 0) {
        INFO("peak RSS " << peak << " kB, RSS before the pass " << rss0 << " kB, file " << size / 1024 << " kB");
        // Well under the file's 16 MB. Under AddressSanitizer with detect_stack_use_after_return
        // (scripts/sanitize.sh), each call of a function with addressable locals gets its frame
        // from a per-thread ring of fake stacks, and the 320,000 lines touch the ring to its end:
        // the pass then grows by about 6 MB (measured with tfx::compiled, where the reader's
        // functions are not inlined into the test), and by under 4 MB without that option.
#if defined(__SANITIZE_ADDRESS__)
        constexpr long long bound_kb = 8192;
#else
        constexpr long long bound_kb = 4096;
#endif
        CHECK(peak - rss0 < bound_kb);
    } else {
        WARN(
            "cannot reset the peak RSS (/proc/self/clear_refs): the memory bound is only checked through the read "
            "count");
    }
}
