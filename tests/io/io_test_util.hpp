#pragma once
// Shared by tests/test_io_*.cpp: temporary directories, files as strings, NumPy through
// tests/io/np_io.py, the value pattern both sides write, a small ZIP builder for hand-made
// archives, and running a function in a child process (for file size limits and crashes).
#include <tfx/io/npy.hpp>

#include <catch2/catch.hpp>

#include "../temp_dir.hpp"
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace io_test {

namespace fs = std::filesystem;

using tfxtest::temp_dir;

using tfxtest::read_file;
inline void write_file(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    REQUIRE(out.good());
}

inline std::string quoted(const std::string& s) {
    std::string r = "'";
    for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
}
inline int run(const std::string& cmd) {
    const int status = std::system(cmd.c_str());
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline const fs::path np_script = fs::path(__FILE__).parent_path() / "np_io.py";

// A Python with numpy: $TFX_PYTHON, python3, /usr/bin/python3 (a pyenv python3 first on the PATH
// may lack Debian's python3-numpy). Looked up once.
inline const std::optional<std::string>& python_with_numpy() {
    static const std::optional<std::string> py = [] () -> std::optional<std::string> {
        std::vector<std::string> candidates;
        if (const char* env = std::getenv("TFX_PYTHON")) candidates.emplace_back(env);
        candidates.emplace_back("python3");
        candidates.emplace_back("/usr/bin/python3");
        for (const auto& c : candidates)
            if (run(quoted(c) + " " + quoted(np_script.string()) + " check >/dev/null 2>&1") == 0) return c;
        return std::nullopt;
    }();
    return py;
}
#define IO_TEST_NEEDS_NUMPY()                                                                                 \
    if (!::io_test::python_with_numpy()) {                                                                    \
        WARN("skipped: needs python3 with numpy (Debian: python3-numpy; or set TFX_PYTHON)");                 \
        return;                                                                                               \
    }

// Runs np_io.py; returns its exit status, and its standard output in *out.
inline int numpy(const std::string& args, const fs::path& work, std::string* out = nullptr) {
    const fs::path o = work / "np_io.out", e = work / "np_io.err";
    const int rc = run(quoted(*python_with_numpy()) + " " + quoted(np_script.string()) + " " + args + " >" +
                       quoted(o.string()) + " 2>" + quoted(e.string()));
    if (out) *out = read_file(o);
    if (rc != 0) UNSCOPED_INFO("np_io.py " << args << " exited with " << rc << ":\n" << read_file(o) << read_file(e));
    fs::remove(o);
    fs::remove(e);
    return rc;
}

// ---- the value pattern (np_io.py's pattern())

template <class T>
T pattern(std::size_t i) {
    const auto k = std::int64_t(i);
    if constexpr (std::is_same_v<T, float>) return float(k) * 0.25f - 3.f;
    else if constexpr (std::is_same_v<T, double>) return double(k) * 0.125 - 7.5;
    else if constexpr (std::is_same_v<T, bool>) return k % 3 == 0;
    else if constexpr (std::is_same_v<T, std::uint8_t>) return std::uint8_t((k * 37) % 256);
    else if constexpr (sizeof(T) == 4) return T(k * 7 - 11);
    else return T(k * 1000003 - (std::int64_t(1) << 40));
}

template <class T, tfx::index_t... E, class... N>
tfx::tensor<T, E...> make_pattern(N... n) {
    tfx::tensor<T, E...> t(n...);
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = pattern<T>(i);
    return t;
}

template <class T, tfx::index_t... E>
bool holds_pattern(const tfx::tensor<T, E...>& t) {
    for (std::size_t i = 0; i < t.size(); ++i)
        if (t.data()[i] != pattern<T>(i)) return false;
    return true;
}

template <class A, class B>
bool same(const A& a, const B& b) {
    return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

// "s2x3" for shape [2, 3], "s" for rank 0 (np_io.py's shape_tag()).
template <class D>
std::string shape_tag(const D& d) {
    std::string r = "s";
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (i) r += 'x';
        r += std::to_string(d[i]);
    }
    return r;
}

// Calls f with a pattern tensor of each shape np_io.py writes: (), (5,), (2, 3), (2, 3, 4),
// (2, 1, 3, 2), (0, 3), with a mix of static and dynamic extents.
template <class T, class F>
void for_each_pattern_shape(F&& f) {
    using tfx::dyn;
    f(make_pattern<T>());
    f(make_pattern<T, 5>());
    f(make_pattern<T, dyn, 3>(2));
    f(make_pattern<T, 2, 3, 4>());
    f(make_pattern<T, dyn, 1, dyn, 2>(2, 3));
    f(make_pattern<T, dyn, 3>(0));
}

// The message of the tfx::io_error that f throws (the test fails when it throws nothing or
// something else).
template <class F>
std::string io_error_of(F&& f) {
    try {
        f();
    } catch (const tfx::io_error& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL("expected tfx::io_error, got another exception: " << e.what());
    }
    FAIL("expected tfx::io_error, nothing was thrown");
    return {};
}
template <class F>
std::string value_error_of(F&& f) {
    try {
        f();
    } catch (const tfx::value_error& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL("expected tfx::value_error, got another exception: " << e.what());
    }
    FAIL("expected tfx::value_error, nothing was thrown");
    return {};
}

// ---- hand-made files

inline void put_le(std::string& s, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s += char((v >> (8 * i)) & 0xff);
}
inline std::uint64_t get_le(const std::string& s, std::size_t at, int n) {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + std::size_t(i)]);
    return v;
}
inline void set_le(std::string& s, std::size_t at, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s[at + std::size_t(i)] = char((v >> (8 * i)) & 0xff);
}

// A .npy file with the given header dict text (padded with spaces and '\n' as NumPy does, unless
// raw), version and data bytes.
inline std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1, bool raw = false) {
    std::string h = dict;
    const std::size_t pre = major == 1 ? 10 : 12;
    if (!raw) {
        while ((pre + h.size() + 1) % 64) h += ' ';
        h += '\n';
    }
    std::string r("\x93NUMPY", 6);
    r += char(major);
    r += char(0);
    put_le(r, h.size(), int(pre - 8));
    return r + h + data;
}

// The bytes save_npy writes for t.
template <class T, tfx::index_t... E>
std::string npy_of(const tfx::tensor<T, E...>& t) {
    const auto d = t.shape();
    return tfx::io::make_npy_header(tfx::io::dtype_of<T>(), std::span<const std::size_t>(d.data(), d.size())) +
           std::string(reinterpret_cast<const char*>(t.data()), t.size() * sizeof(T));
}

inline std::string raw_deflate(const std::string& in) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&zs, uLong(in.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = uInt(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = uInt(out.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

// A ZIP archive built by hand (stored or deflated members), to make archives tfx never writes.
// body, crc and size override what is computed from data; zip64 puts the sizes and the offset in
// a ZIP64 extra field of the central directory entry (all ones in the 32-bit fields).
struct zip_member {
    zip_member(std::string n, std::string d, bool def = false) : name(std::move(n)), data(std::move(d)), deflate(def) {}
    std::string name, data;
    bool deflate = false;
    std::optional<std::string> body;
    std::optional<std::uint32_t> crc;
    std::optional<std::uint64_t> size;
    bool zip64 = false;
};
inline std::string make_zip(const std::vector<zip_member>& members) {
    std::string out, central;
    for (const auto& m : members) {
        const std::string body = m.body ? *m.body : m.deflate ? raw_deflate(m.data) : m.data;
        const auto crc = m.crc ? *m.crc : crc32(0, reinterpret_cast<const Bytef*>(m.data.data()), uInt(m.data.size()));
        const std::uint64_t size = m.size ? *m.size : m.data.size();
        auto header = [&](bool big) {
            std::string h;
            put_le(h, 20, 2);
            put_le(h, 0, 2);
            put_le(h, m.deflate ? 8 : 0, 2);
            put_le(h, 0, 2);
            put_le(h, 0x21, 2);
            put_le(h, crc, 4);
            put_le(h, big ? 0xffffffffu : body.size(), 4);
            put_le(h, big ? 0xffffffffu : size, 4);
            put_le(h, m.name.size(), 2);
            put_le(h, big ? 28 : 0, 2);
            return h;
        };
        const std::size_t offset = out.size();
        put_le(out, 0x04034b50, 4);
        out += header(false) + m.name + body;
        put_le(central, 0x02014b50, 4);
        put_le(central, 20, 2);
        central += header(m.zip64);
        put_le(central, 0, 2);
        put_le(central, 0, 2);
        put_le(central, 0, 2);
        put_le(central, 0, 4);
        put_le(central, m.zip64 ? 0xffffffffu : offset, 4);
        central += m.name;
        if (m.zip64) {
            put_le(central, 1, 2);
            put_le(central, 24, 2);
            put_le(central, size, 8);
            put_le(central, body.size(), 8);
            put_le(central, offset, 8);
        }
    }
    const std::size_t cd = out.size();
    out += central;
    put_le(out, 0x06054b50, 4);
    put_le(out, 0, 2);
    put_le(out, 0, 2);
    put_le(out, members.size(), 2);
    put_le(out, members.size(), 2);
    put_le(out, central.size(), 4);
    put_le(out, cd, 4);
    put_le(out, 0, 2);
    return out;
}

// The archive with its end record replaced by ZIP64 end records (all ones in the old one).
inline std::string with_zip64_end(const std::string& zip) {
    const std::size_t e = zip.rfind("PK\x05\x06");
    const std::uint64_t n = get_le(zip, e + 10, 2), cd_size = get_le(zip, e + 12, 4), cd_off = get_le(zip, e + 16, 4);
    std::string out = zip.substr(0, e);
    const std::size_t z = out.size();
    put_le(out, 0x06064b50, 4);
    put_le(out, 44, 8);
    put_le(out, 45, 2);
    put_le(out, 45, 2);
    put_le(out, 0, 4);
    put_le(out, 0, 4);
    put_le(out, n, 8);
    put_le(out, n, 8);
    put_le(out, cd_size, 8);
    put_le(out, cd_off, 8);
    put_le(out, 0x07064b50, 4);
    put_le(out, 0, 4);
    put_le(out, z, 8);
    put_le(out, 1, 4);
    put_le(out, 0x06054b50, 4);
    put_le(out, 0, 2);
    put_le(out, 0, 2);
    put_le(out, 0xffff, 2);
    put_le(out, 0xffff, 2);
    put_le(out, 0xffffffffu, 4);
    put_le(out, 0xffffffffu, 4);
    put_le(out, 0, 2);
    return out;
}

// Offsets in an archive: the first local header of `name`, and its central directory entry.
inline std::size_t local_header_of(const std::string& zip, const std::string& name) {
    for (std::size_t p = 0; (p = zip.find("PK\x03\x04", p)) != std::string::npos; ++p)
        if (zip.compare(p + 30, name.size(), name) == 0 && get_le(zip, p + 26, 2) == name.size()) return p;
    FAIL("no local header for " << name);
    return 0;
}
inline std::size_t central_entry_of(const std::string& zip, const std::string& name) {
    for (std::size_t p = 0; (p = zip.find("PK\x01\x02", p)) != std::string::npos; ++p)
        if (zip.compare(p + 46, name.size(), name) == 0 && get_le(zip, p + 28, 2) == name.size()) return p;
    FAIL("no central directory entry for " << name);
    return 0;
}
inline std::size_t end_record_of(const std::string& zip) { return zip.rfind("PK\x05\x06"); }

// ---- child processes

struct child_result {
    bool exited;
    int code;    // exit status when exited
    int signal;  // terminating signal otherwise
};
// Runs f in a forked child (after `setup`, e.g. a file size limit) and reports how it ended; f's
// return value is the exit status. The child leaves with _exit, never through Catch's cleanup.
inline child_result in_child(const std::function<void()>& setup, const std::function<int()>& f) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int code = 99;
        try {
            setup();
            code = f();
        } catch (...) {
            code = 98;
        }
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return {WIFEXITED(status), WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0};
}
// A file size limit, as a full disk: write() fails with EFBIG past `bytes` (SIGXFSZ ignored), or,
// with crash = true, the process is killed by SIGXFSZ mid-write (no core file).
inline void limit_file_size(std::size_t bytes, bool crash = false) {
    rlimit none{0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
    rlimit lim{rlim_t(bytes), rlim_t(bytes)};
    ::setrlimit(RLIMIT_FSIZE, &lim);
    ::signal(SIGXFSZ, crash ? SIG_DFL : SIG_IGN);
}

}  // namespace io_test
