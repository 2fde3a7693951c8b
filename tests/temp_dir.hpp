#pragma once
// A fresh directory of the test's own under the system's temporary directory (mkdtemp: unique per
// process and call, so parallel test processes never share one), removed with everything in it
// when it goes out of scope, permissions restored first (tests make unreadable directories). And
// read_file, a file's bytes.
#include <catch2/catch.hpp>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

namespace tfxtest {

struct temp_dir {
    std::filesystem::path path;

    explicit temp_dir(const std::string& prefix = "tfx-test") {
        std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        namespace fs = std::filesystem;
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator(); ++it)
            if (it->is_directory(ec)) fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
        fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path, ec);
    }

    std::filesystem::path operator/(const std::string& name) const { return path / name; }
    // Every entry, hidden ones included, sorted.
    std::vector<std::string> names() const {
        std::vector<std::string> r;
        for (const auto& e : std::filesystem::directory_iterator(path)) r.push_back(e.path().filename().string());
        std::sort(r.begin(), r.end());
        return r;
    }
    // Writes text to the file `name` in the directory; its path.
    std::filesystem::path write(const std::string& name, const std::string& text) const {
        const std::filesystem::path p = path / name;
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out << text;
        REQUIRE(out.good());
        return p;
    }
};

// The whole content of a file, as bytes ("" when it cannot be read).
inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace tfxtest
