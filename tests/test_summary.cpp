#include <tfx/summary/crc32c.hpp>
#include <tfx/summary/event.hpp>
#include <tfx/summary/file_writer.hpp>
#include <tfx/summary/histogram.hpp>
#include <tfx/summary/record_writer.hpp>
#include <tfx/summary/wire.hpp>
#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace ts = tfx::summary;

// A fresh directory under the system's temporary directory, removed with everything in it.
using tfxtest::temp_dir;

using tfxtest::read_file;

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int x : b) s.push_back(char(x));
    return s;
}

std::uint64_t le(std::string_view s) {
    std::uint64_t v = 0;
    for (std::size_t i = s.size(); i-- > 0;) v = (v << 8) | static_cast<unsigned char>(s[i]);
    return v;
}

// The records of a TFRecord file, each CRC checked with the software CRC; nullopt if the framing
// or a CRC is wrong.
std::optional<std::vector<std::string>> read_records(const fs::path& p) {
    const std::string blob = read_file(p);
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < blob.size()) {
        if (blob.size() - pos < 12) return std::nullopt;
        const std::string_view head(blob.data() + pos, 8);
        if (le(std::string_view(blob).substr(pos + 8, 4)) != ts::mask_crc(ts::crc32c_portable(head)))
            return std::nullopt;
        const std::uint64_t n = le(head);
        if (blob.size() - pos - 12 < n + 4) return std::nullopt;
        std::string data = blob.substr(pos + 12, n);
        if (le(std::string_view(blob).substr(pos + 12 + n, 4)) != ts::mask_crc(ts::crc32c_portable(data)))
            return std::nullopt;
        out.push_back(std::move(data));
        pos += 12 + n + 4;
    }
    return out;
}

fs::path only_file_in(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
    REQUIRE(files.size() == 1);
    return files[0];
}

std::string quoted(const std::string& s) {
    std::string r = "'";
    for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
}

int run(const std::string& cmd) {
    const int status = std::system(cmd.c_str());
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const fs::path reader_script = fs::path(__FILE__).parent_path() / "summary" / "read_events.py";

// A Python that has the protobuf module, with protoc on the PATH (read_events.py --check); the
// pyenv python3 first on the PATH may not have Debian's python3-protobuf, /usr/bin/python3 does.
std::optional<std::string> python_with_protobuf() {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("TFX_PYTHON")) candidates.emplace_back(env);
    candidates.emplace_back("python3");
    candidates.emplace_back("/usr/bin/python3");
    for (const auto& py : candidates)
        if (run(quoted(py) + " " + quoted(reader_script.string()) + " --check >/dev/null 2>&1") == 0) return py;
    return std::nullopt;
}

struct reader_result {
    int status;
    std::vector<std::vector<std::string>> lines;  // tab-separated fields
    std::string err;
};

reader_result read_with_python(const std::string& python, const fs::path& file, const fs::path& work) {
    const fs::path out = work / "reader.out", err = work / "reader.err";
    reader_result r;
    r.status = run(quoted(python) + " " + quoted(reader_script.string()) + " " + quoted(file.string()) + " >" +
                   quoted(out.string()) + " 2>" + quoted(err.string()));
    std::istringstream in(read_file(out));
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> fields;
        std::size_t start = 0;
        for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
            fields.push_back(line.substr(start, tab - start));
        fields.push_back(line.substr(start));
        r.lines.push_back(std::move(fields));
    }
    r.err = read_file(err);
    return r;
}

double num(const std::string& s) { return std::strtod(s.c_str(), nullptr); }

std::string hex(std::string_view s) {
    static const char* digits = "0123456789abcdef";
    std::string r;
    for (unsigned char c : s) {
        r += digits[c >> 4];
        r += digits[c & 15];
    }
    return r;
}

// The message of the E that f throws; a note if it throws nothing (another exception propagates).
template <class E, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "<nothing thrown>";
}

// The bucket TensorFlow puts v in: the first default edge above v.
double upper_edge(double v) {
    const auto& l = ts::default_bucket_limits();
    return *std::upper_bound(l.begin(), l.end(), v);
}

}  // namespace

// ---- CRC-32C

TEST_CASE("crc32c matches the published check values", "[summary]") {
    STATIC_REQUIRE(ts::crc32c("123456789") == 0xE3069283u);  // computed at compile time
    CHECK(ts::crc32c("") == 0u);
    CHECK(ts::crc32c(std::string("123456789")) == 0xE3069283u);
    // RFC 3720 (iSCSI), appendix B.4.
    std::string zeros(32, '\0'), ones(32, '\xFF'), up(32, 0), down(32, 0);
    for (int i = 0; i < 32; ++i) {
        up[i] = char(i);
        down[i] = char(31 - i);
    }
    CHECK(ts::crc32c(zeros) == 0x8A9136AAu);
    CHECK(ts::crc32c(ones) == 0x62A8AB43u);
    CHECK(ts::crc32c(up) == 0x46DD794Eu);
    CHECK(ts::crc32c(down) == 0x113FDB5Cu);
    CHECK(ts::crc32c_portable(zeros) == 0x8A9136AAu);
    CHECK(ts::crc32c_portable(up) == 0x46DD794Eu);
}

TEST_CASE("crc32c gives the same value on every length and alignment, and extends piecewise", "[summary]") {
    std::mt19937 rng(7);
    std::string data(300, '\0');
    for (auto& c : data) c = char(rng());
    for (std::size_t off = 0; off < 9; ++off)
        for (std::size_t n = 0; off + n <= 140; ++n) {
            const std::string_view s(data.data() + off, n);
            const auto whole = ts::crc32c(s);
            REQUIRE(whole == ts::crc32c_portable(s));  // the SSE4.2 path (when built) against the tables
            REQUIRE(ts::crc32c_extend(ts::crc32c(s.substr(0, n / 3)), s.substr(n / 3)) == whole);
        }
    CHECK(ts::crc32c(data.data(), data.size()) == ts::crc32c_portable(data));
}

TEST_CASE("masked crc rotates right by 15 and adds 0xa282ead8, unmask inverts it", "[summary]") {
    CHECK(ts::mask_crc(0) == 0xA282EAD8u);
    CHECK(ts::mask_crc(0xE3069283u) == 0xC78AB0E5u);
    CHECK(ts::masked_crc32c("123456789") == 0xC78AB0E5u);
    for (std::uint32_t c : {0u, 1u, 0x8000u, 0xFFFFFFFFu, 0xE3069283u, 0x12345678u}) CHECK(ts::unmask_crc(ts::mask_crc(c)) == c);
}

// ---- framing and encoding

TEST_CASE("a record is framed as length, masked crc of the length, data, masked crc of the data", "[summary]") {
    std::string out = "xy";  // appends after what is there
    ts::append_record(out, "abc");
    REQUIRE(out.size() == 2 + 8 + 4 + 3 + 4);
    CHECK(out.substr(2, 8) == bytes({3, 0, 0, 0, 0, 0, 0, 0}));
    CHECK(le(out.substr(10, 4)) == ts::mask_crc(ts::crc32c(bytes({3, 0, 0, 0, 0, 0, 0, 0}))));
    CHECK(out.substr(14, 3) == "abc");
    CHECK(le(out.substr(17, 4)) == ts::masked_crc32c("abc"));

    std::string empty;
    ts::append_record(empty, "");
    CHECK(empty.size() == 16);
    CHECK(le(empty.substr(12, 4)) == ts::crc_mask_delta);  // crc32c("") == 0
}

TEST_CASE("protobuf fields are encoded as the protobuf encoding guide shows", "[summary]") {
    CHECK(ts::proto_writer{}.uint64_field(1, 150).bytes() == bytes({0x08, 0x96, 0x01}));
    CHECK(ts::proto_writer{}.bytes_field(2, "testing").bytes() ==
          bytes({0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67}));
    CHECK(ts::proto_writer{}.int64_field(2, -1).bytes() ==
          bytes({0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
    CHECK(ts::proto_writer{}.double_field(1, 1.0).bytes() == bytes({0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}));
    CHECK(ts::proto_writer{}.float_field(2, 1.0f).bytes() == bytes({0x15, 0, 0, 0x80, 0x3f}));
    const double d[] = {1.0, -2.0};
    CHECK(ts::proto_writer{}.packed_double_field(6, d).bytes() ==
          bytes({0x32, 16, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xc0}));
    CHECK(ts::proto_writer{}.packed_double_field(6, std::span<const double>{}).bytes().empty());
    ts::proto_writer inner;
    inner.uint64_field(1, 150);
    CHECK(ts::proto_writer{}.message_field(3, inner).bytes() == bytes({0x1a, 0x03, 0x08, 0x96, 0x01}));
    // The first event: wall_time (field 1, fixed64) then file_version (field 3, string).
    CHECK(ts::event::file_version_event(1.0) ==
          bytes({0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}) + bytes({0x1a, 13}) + "brain.Event:2");
}

TEST_CASE("framed events match, byte for byte, records written by protobuf-based TensorFlow writers", "[summary]") {
    // The first record of a file with wall_time 256.5, as in tensorboard_logger's serialization
    // test (protobuf's encoder, TensorFlow's framing).
    std::string first;
    ts::append_record(first, ts::event::file_version_event(256.5));
    CHECK(hex(first) == hex(bytes({0x18, 0, 0, 0, 0, 0, 0, 0, 0xa3, 0x7f, 0x4b, 0x22, 0x09, 0, 0, 0, 0, 0, 0x08, 0x70,
                                   0x40, 0x1a, 0x0d}) +
                            "brain.Event:2" + bytes({0xbc, 0x98, 0x21, 0x2b})));
    // The scalar after it: step 1, tag "v/1", simple_value 1.5.
    std::string scalar;
    ts::append_record(scalar, ts::event::summary_event(256.5, 1, ts::event::scalar_value("v/1", 1.5f)));
    CHECK(hex(scalar) == hex(bytes({0x19, 0, 0, 0, 0, 0, 0, 0, 0x8b, 0xf1, 0x08, 0x28, 0x09, 0, 0, 0, 0, 0, 0x08,
                                    0x70, 0x40, 0x10, 0x01, 0x2a, 0x0c, 0x0a, 0x0a, 0x0a, 0x03}) +
                             "v/1" + bytes({0x15, 0, 0, 0xc0, 0x3f, 0x2c, 0xec, 0xc0, 0x87})));
    // A record from TensorBoard's event_file_loader test (TensorFlow's own writer).
    const std::string wall = bytes({0, 0, 0, 0x27, 0xe6, 0xb3, 0xd5, 0x41});
    std::string tf;
    ts::append_record(tf, ts::event::file_version_event(std::bit_cast<double>(std::uint64_t(le(wall)))));
    CHECK(hex(tf) == hex(bytes({0x18, 0, 0, 0, 0, 0, 0, 0, 0xa3, 0x7f, 0x4b, 0x22, 0x09}) + wall +
                         bytes({0x1a, 0x0d}) + "brain.Event:2" + bytes({0x6a, 0x4d, 0x0b, 0x15})));
}

// ---- histograms

TEST_CASE("histogram buckets use TensorFlow's default edges", "[summary]") {
    const auto& l = ts::default_bucket_limits();
    CHECK(l.size() == 1551);  // 775 edges on each side of 0
    REQUIRE(l.size() % 2 == 1);
    const std::size_t mid = l.size() / 2;
    CHECK(l[mid] == 0.0);
    CHECK(l.front() == -DBL_MAX);
    CHECK(l.back() == DBL_MAX);
    CHECK(l[mid + 1] == 1.0e-12);
    CHECK(std::is_sorted(l.begin(), l.end()));
    for (std::size_t i = 1; i <= mid; ++i) REQUIRE(l[mid - i] == -l[mid + i]);
    CHECK(l[l.size() - 2] < 1.0e20);
    CHECK(l[l.size() - 2] * 1.1 >= 1.0e20);
    CHECK(l[mid + 2] == 1.0e-12 * 1.1);
}

TEST_CASE("a histogram counts each value in the bucket below its next edge and collapses empty runs", "[summary]") {
    const std::vector<double> values{-1.0, 0.0, 0.5, 2.0, 2.0, 3.0};
    const auto h = ts::make_histogram(values);
    CHECK(h.min == -1.0);
    CHECK(h.max == 3.0);
    CHECK(h.num == 6.0);
    CHECK(h.sum == 6.5);
    CHECK(h.sum_squares == 1 + 0 + 0.25 + 4 + 4 + 9);
    REQUIRE(h.bucket.size() == h.bucket_limit.size());
    double total = 0;
    for (std::size_t i = 0; i < h.bucket.size(); ++i) {
        total += h.bucket[i];
        if (i > 0) CHECK_FALSE((h.bucket[i] == 0 && h.bucket[i - 1] == 0));  // runs collapsed
    }
    CHECK(total == 6.0);
    // Each value's bucket ends at the first default edge above it.
    for (double v : {-1.0, 0.0, 0.5, 2.0, 3.0}) {
        const auto it = std::find(h.bucket_limit.begin(), h.bucket_limit.end(), upper_edge(v));
        REQUIRE(it != h.bucket_limit.end());
        CHECK(h.bucket[std::size_t(it - h.bucket_limit.begin())] == (v == 2.0 ? 2.0 : 1.0));
    }
    CHECK(h.bucket_limit.back() == DBL_MAX);
    CHECK(h.bucket.back() == 0.0);
}

TEST_CASE("a histogram takes tensors and ranges of any number type", "[summary]") {
    tfx::tensor<float, 2, 3> t{{1, 2, 3}, {4, 5, 6}};
    const auto ht = ts::make_histogram(t);
    CHECK(ht.num == 6.0);
    CHECK(ht.sum == 21.0);
    tfx::tensor<std::int64_t, tfx::dyn> ids(4);
    CHECK(ts::make_histogram(ids).num == 4.0);
    CHECK(ts::make_histogram({1.0, 2.0}).max == 2.0);
    STATIC_REQUIRE(ts::number_range<std::vector<int>>);
    STATIC_REQUIRE(ts::number_range<tfx::tensor<double, 3>>);
    STATIC_REQUIRE_FALSE(ts::number_range<std::string>);
    STATIC_REQUIRE_FALSE(ts::number_range<std::vector<std::string>>);
}

TEST_CASE("an empty histogram has min = max = 0 and one empty bucket", "[summary]") {
    const auto h = ts::make_histogram(std::vector<float>{});
    CHECK(h.num == 0.0);
    CHECK(h.min == 0.0);
    CHECK(h.max == 0.0);
    CHECK(h.bucket_limit == std::vector<double>{DBL_MAX});
    CHECK(h.bucket == std::vector<double>{0.0});
}

TEST_CASE("a histogram of NaN or infinity throws value_error naming the tag and position", "[summary]") {
    const std::vector<double> v{1.0, std::numeric_limits<double>::quiet_NaN()};
    CHECK_THAT(message_of<tfx::value_error>([&] { ts::make_histogram(v, "w/kernel"); }),
               Catch::Matchers::Contains("w/kernel") && Catch::Matchers::Contains("position 1"));
    const std::vector<float> inf{std::numeric_limits<float>::infinity()};
    CHECK_THROWS_AS(ts::make_histogram(inf), tfx::value_error);
    // DBL_MAX itself is finite and lands in the last bucket.
    CHECK(ts::make_histogram({DBL_MAX}).bucket.back() == 1.0);
}

// ---- the event file

TEST_CASE("file_writer creates the logdir and events.out.tfevents.<seconds>.<hostname>", "[summary]") {
    temp_dir tmp;
    const fs::path logdir = tmp.path / "runs" / "a" / "b";
    const auto before = std::time(nullptr);
    fs::path file;
    {
        ts::file_writer w(logdir);
        file = w.path();
        CHECK(w.logdir() == logdir);
    }
    const auto after = std::time(nullptr);
    REQUIRE(fs::is_directory(logdir));
    CHECK(only_file_in(logdir) == file);
    const std::string name = file.filename().string();
    const std::string prefix = "events.out.tfevents.";
    REQUIRE(name.rfind(prefix, 0) == 0);
    const std::string seconds = name.substr(prefix.size(), 10);
    CHECK(std::all_of(seconds.begin(), seconds.end(), [](char c) { return c >= '0' && c <= '9'; }));
    CHECK(std::stoll(seconds) >= before);
    CHECK(std::stoll(seconds) <= after);
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::string dot_host = ".";  // appended, not "." + std::string(host): GCC 12 warns (-Wrestrict) on that
    dot_host += host;
    CHECK(name.substr(prefix.size() + 10) == dot_host);

    const auto records = read_records(file);
    REQUIRE(records);
    REQUIRE(records->size() == 1);
    CHECK(records->front().find("brain.Event:2") != std::string::npos);
}

TEST_CASE("two writers in one directory in the same second write two files", "[summary]") {
    temp_dir tmp;
    ts::file_writer a(tmp.path), b(tmp.path);
    CHECK(a.path() != b.path());
    ts::file_writer c(tmp.path, {.filename_suffix = ".v2"});
    CHECK(c.path().filename().string().ends_with(".v2"));
}

TEST_CASE("events wait in memory until flush() and are written on destruction", "[summary]") {
    temp_dir tmp;
    fs::path file;
    {
        ts::file_writer w(tmp.path);
        file = w.path();
        const auto header_only = fs::file_size(file);
        w.scalar("loss", 0.5, 1);
        w.scalar("loss", 0.25, 2);
        CHECK(fs::file_size(file) == header_only);  // buffered
        w.flush();
        CHECK(read_records(file)->size() == 3);
        w.text("note", "hello", 3);
        CHECK(read_records(file)->size() == 3);
    }
    const auto records = read_records(file);
    REQUIRE(records);
    CHECK(records->size() == 4);
}

TEST_CASE("max_queue events or flush_interval trigger a flush", "[summary]") {
    temp_dir tmp;
    ts::file_writer_options three;
    three.max_queue = 3;
    ts::file_writer w(tmp.path, three);
    w.scalar("a", 1, 0);
    w.scalar("a", 2, 1);
    CHECK(read_records(w.path())->size() == 1);
    w.scalar("a", 3, 2);
    CHECK(read_records(w.path())->size() == 4);

    ts::file_writer_options timed;
    timed.max_queue = 1000;
    timed.flush_interval = std::chrono::milliseconds(0);
    ts::file_writer every(tmp.path / "t", timed);
    every.scalar("a", 1, 0);
    CHECK(read_records(every.path())->size() == 2);
}

TEST_CASE("a moved file_writer keeps writing to the same file", "[summary]") {
    temp_dir tmp;
    ts::file_writer a(tmp.path / "x");
    a.scalar("s", 1, 0);
    ts::file_writer b = std::move(a);
    b.scalar("s", 2, 1);
    const fs::path file = b.path();
    ts::file_writer c(tmp.path / "y");
    c = std::move(b);  // c's own file is flushed and closed first
    c.close();
    CHECK(read_records(file)->size() == 3);
    CHECK(read_records(only_file_in(tmp.path / "y"))->size() == 1);
}

TEST_CASE("writing after close() throws io_error", "[summary]") {
    temp_dir tmp;
    ts::file_writer w(tmp.path);
    w.close();
    w.close();  // twice is fine
    CHECK_THROWS_AS(w.scalar("x", 1, 0), tfx::io_error);
}

TEST_CASE("a histogram with NaN writes nothing", "[summary]") {
    temp_dir tmp;
    ts::file_writer_options one;
    one.max_queue = 1;
    ts::file_writer w(tmp.path, one);
    const std::vector<double> bad{1.0, NAN};
    CHECK_THROWS_AS(w.histogram("h", bad, 0), tfx::value_error);
    w.flush();
    CHECK(read_records(w.path())->size() == 1);
}

TEST_CASE("an unusable logdir throws io_error naming the path", "[summary]") {
    temp_dir tmp;
    const fs::path file = tmp.path / "plain_file";
    std::ofstream(file) << "x";
    // Under a regular file: the directory cannot be created (permission bits would not stop root).
    const fs::path below = file / "logs";
    CHECK_THAT(message_of<tfx::io_error>([&] { ts::file_writer w(below); }), Catch::Matchers::Contains(below.string()));
    // The logdir is itself a regular file.
    CHECK_THAT(message_of<tfx::io_error>([&] { ts::file_writer w(file); }), Catch::Matchers::Contains(file.string()));
}

TEST_CASE("a failing write throws io_error naming the file, destruction swallows it", "[summary]") {
    if (!fs::exists("/dev/full")) {
        WARN("no /dev/full: write failure not tested");
        return;
    }
    ts::record_writer r("/dev/full");
    r.write("some record");
    CHECK(r.buffered_bytes() == 11 + 16);
    CHECK_THAT(message_of<tfx::io_error>([&] { r.flush(); }), Catch::Matchers::Contains("/dev/full"));
    CHECK(r.buffered_bytes() == 0);  // dropped, not written twice
    r.write("another");
    // ~record_writer flushes into /dev/full and must not throw.
}

TEST_CASE("record_writer in create_new mode refuses an existing file", "[summary]") {
    temp_dir tmp;
    const fs::path p = tmp.path / "r.tfrecord";
    { ts::record_writer(p, ts::record_writer::open_mode::create_new).write("a"); }
    CHECK(read_records(p)->size() == 1);
    CHECK_THAT(message_of<tfx::io_error>([&] { ts::record_writer again(p, ts::record_writer::open_mode::create_new); }),
               Catch::Matchers::Contains(p.string()));
    { ts::record_writer(p).write("b"); }  // truncate
    CHECK(read_records(p) == std::vector<std::string>{"b"});
}

// ---- read back by protobuf

TEST_CASE("an event file written by tfx reads back with Python's protobuf, CRC by CRC", "[summary]") {
    const auto python = python_with_protobuf();
    if (!python) {
        WARN("skipped: needs python3 with the protobuf module and protoc (Debian: python3-protobuf "
             "protobuf-compiler); set TFX_PYTHON to choose the interpreter");
        return;
    }
    temp_dir tmp;
    const double start = double(std::time(nullptr));
    tfx::tensor<float, 2, 3> kernel{{-1.f, 0.f, 0.5f}, {2.f, 2.f, 3.f}};
    const std::string text = "**bold** caf\xc3\xa9\n| a | b |\ttab";
    fs::path file;
    {
        ts::file_writer w(tmp.path / "logs");
        file = w.path();
        w.scalar("loss", 0.25, 0);
        w.scalar("loss", 0.1, 1);  // stored as float32
        w.scalar("epoch_accuracy", -3.5, -7);
        w.scalar("zero", 0.0, 1ll << 40);
        w.histogram("dense/kernel", kernel, 5);
        w.histogram("empty", std::vector<double>{}, 6);
        w.histogram("big", {1e30, -1e-15, 1e-13}, 7);
        w.text("notes", text, 8);
        w.text("blank", "", 9);
    }  // flushed here
    const auto r = read_with_python(*python, file, tmp.path);
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto& L = r.lines;
    REQUIRE(L.size() >= 1);

    REQUIRE(L[0].size() == 3);
    CHECK(L[0][0] == "file_version");
    CHECK(L[0][2] == "brain.Event:2");
    CHECK(num(L[0][1]) >= start - 1);
    CHECK(num(L[0][1]) <= double(std::time(nullptr)) + 1);

    std::size_t i = 1;
    auto next = [&](std::size_t fields) -> const std::vector<std::string>& {
        REQUIRE(i < L.size());
        REQUIRE(L[i].size() == fields);
        return L[i++];
    };
    auto scalar = [&](const char* tag, double value, std::int64_t step) {
        const auto& l = next(4);
        CHECK(l[0] == "scalar");
        CHECK(l[1] == std::to_string(step));
        CHECK(l[2] == tag);
        CHECK(num(l[3]) == double(float(value)));
    };
    scalar("loss", 0.25, 0);
    scalar("loss", 0.1, 1);
    scalar("epoch_accuracy", -3.5, -7);
    scalar("zero", 0.0, 1ll << 40);

    // A histogram and its buckets; `expected` maps a value to its count.
    auto histogram = [&](const char* tag, std::int64_t step, const std::vector<std::pair<double, double>>& expected,
                         double mn, double mx, double n, double sum, double sum_sq) {
        const auto& h = next(9);
        CHECK(h[0] == "histo");
        CHECK(h[1] == std::to_string(step));
        CHECK(h[2] == tag);
        CHECK(num(h[3]) == mn);
        CHECK(num(h[4]) == mx);
        CHECK(num(h[5]) == n);
        CHECK(num(h[6]) == sum);
        CHECK(num(h[7]) == sum_sq);
        const auto nb = std::size_t(std::stoul(h[8]));
        std::vector<std::pair<double, double>> buckets;
        for (std::size_t k = 0; k < nb; ++k) {
            const auto& b = next(3);
            CHECK(b[0] == "bucket");
            buckets.emplace_back(num(b[1]), num(b[2]));
        }
        std::vector<std::pair<double, double>> nonzero;
        for (auto& b : buckets)
            if (b.second != 0) nonzero.push_back(b);
        std::vector<std::pair<double, double>> want;
        for (auto [v, c] : expected) want.emplace_back(upper_edge(v), c);
        CHECK(nonzero == want);
        REQUIRE(!buckets.empty());
        CHECK(buckets.back().first == DBL_MAX);
    };
    histogram("dense/kernel", 5, {{-1.0, 1}, {0.0, 1}, {0.5, 1}, {2.0, 2}, {3.0, 1}}, -1, 3, 6, 6.5, 18.25);
    histogram("empty", 6, {}, 0, 0, 0, 0, 0);
    histogram("big", 7, {{-1e-15, 1}, {1e-13, 1}, {1e30, 1}}, -1e-15, 1e30, 3, 1e30 + -1e-15 + 1e-13,
              1e30 * 1e30 + -1e-15 * -1e-15 + 1e-13 * 1e-13);

    auto text_line = [&](const char* tag, const std::string& s, std::int64_t step) {
        const auto& t = next(8);
        CHECK(t[0] == "text");
        CHECK(t[1] == std::to_string(step));
        CHECK(t[2] == tag);
        CHECK(t[3] == "text");  // plugin_name
        CHECK(t[4] == "2");     // DATA_CLASS_TENSOR
        CHECK(t[5] == "7");     // DT_STRING
        CHECK(t[6] == "0");     // rank 0
        CHECK(t[7] == hex(s));
    };
    text_line("notes", text, 8);
    text_line("blank", "", 9);
    CHECK(i == L.size());
}

TEST_CASE("the Python reader rejects a file whose CRC does not match", "[summary]") {
    const auto python = python_with_protobuf();
    if (!python) {
        WARN("skipped: needs python3 with the protobuf module and protoc (Debian: python3-protobuf protobuf-compiler)");
        return;
    }
    temp_dir tmp;
    fs::path file;
    {
        ts::file_writer w(tmp.path / "logs");
        file = w.path();
        w.scalar("loss", 0.5, 1);
    }
    REQUIRE(read_with_python(*python, file, tmp.path).status == 0);
    std::string blob = read_file(file);
    blob[blob.size() - 6] ^= 0x01;  // a byte of the last record's data
    const fs::path bad = tmp.path / "bad.tfevents";
    std::ofstream(bad, std::ios::binary) << blob;
    const auto r = read_with_python(*python, bad, tmp.path);
    CHECK(r.status == 1);
    CHECK(r.err.find("data crc mismatch") != std::string::npos);
    CHECK_FALSE(read_records(bad));
}
