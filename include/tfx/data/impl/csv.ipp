#pragma once
// Definitions of csv.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../csv.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace tfx::data::detail {

TFX_INLINE std::string csv_where(const std::filesystem::path& p) {
    std::string r(1, '\'');  // appended piecewise: GCC 12 warns (-Wrestrict) on "'" + s + "'"
    r += p.native();
    r += '\'';
    return r;
}

[[noreturn]] TFX_INLINE void csv_lines::too_long() const {
    throw io_error("tfx: from_csv: " + where_ + ", line " + std::to_string(line_ + 1) +
                   ": the line is longer than " + std::to_string(max_line_) +
                   " bytes (csv_options::max_line_bytes)");
}

TFX_INLINE void csv_lines::fill() {
    for (;;) {
        const ::ssize_t r = ::read(fd_, buf_.get(), cap_);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            const int e = errno;
            throw io_error("tfx: from_csv: " + where_ + ": read failed after line " + std::to_string(line_) + ": " +
                           std::generic_category().message(e));
        }
        pos_ = 0;
        end_ = std::size_t(r);
        eof_ = r == 0;
        return;
    }
}

TFX_INLINE csv_lines::csv_lines(const std::filesystem::path& path, std::size_t read_bytes, std::size_t max_line)
    : buf_(new char[read_bytes ? read_bytes : 1]),
      cap_(read_bytes ? read_bytes : 1),
      max_line_(max_line),
      where_(csv_where(path)) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
        const int e = errno;
        throw io_error("tfx: from_csv: cannot open " + where_ + ": " + std::generic_category().message(e));
    }
}
TFX_INLINE csv_lines::csv_lines(csv_lines&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      buf_(std::move(o.buf_)),
      cap_(o.cap_),
      max_line_(o.max_line_),
      pos_(o.pos_),
      end_(o.end_),
      line_(o.line_),
      carry_(std::move(o.carry_)),
      where_(std::move(o.where_)),
      eof_(o.eof_),
      carry_used_(o.carry_used_) {}

TFX_INLINE bool csv_lines::next(std::string_view& line) {
    if (carry_used_) {
        carry_.clear();
        carry_used_ = false;
    }
    for (;;) {
        if (pos_ < end_) {
            const char* b = buf_.get() + pos_;
            const std::size_t avail = end_ - pos_;
            if (const void* nl = std::memchr(b, '\n', avail)) {
                const std::size_t len = std::size_t(static_cast<const char*>(nl) - b);
                if (carry_.empty()) {
                    if (len > max_line_) too_long();
                    pos_ += len + 1;
                    line = std::string_view(b, len);
                } else {
                    append(b, len);
                    pos_ += len + 1;
                    line = carry_;
                    carry_used_ = true;
                }
                ++line_;
                finish(line);
                return true;
            }
            append(b, avail);
            pos_ = end_;
        }
        if (eof_) {
            if (carry_.empty()) return false;
            line = carry_;  // the last line has no newline
            carry_used_ = true;
            ++line_;
            finish(line);
            return true;
        }
        fill();
    }
}

TFX_INLINE bool csv_blank_line(std::string_view line) {
    for (char c : line)
        if (c != ' ' && c != '\t') return false;
    return true;
}

TFX_INLINE void csv_split(std::string_view line, char delim, std::vector<std::string_view>& fields, const csv_lines& in) {
    fields.clear();
    const std::size_t n = line.size();
    std::size_t i = 0;
    for (;;) {
        while (i < n && csv_blank(line[i], delim)) ++i;
        if (i < n && line[i] == '"') {
            const std::size_t start = ++i;
            for (;; ++i) {
                if (i >= n)
                    throw io_error("tfx: from_csv: " + in.where() + ", line " + std::to_string(in.line_number()) +
                                   ", field " + std::to_string(fields.size()) +
                                   ": a quoted field is not closed on its line");
                if (line[i] == '"') {
                    if (i + 1 < n && line[i + 1] == '"') {
                        ++i;
                        continue;
                    }
                    break;
                }
            }
            fields.push_back(line.substr(start, i - start));
            ++i;
            while (i < n && csv_blank(line[i], delim)) ++i;
            if (i < n && line[i] != delim)
                throw io_error("tfx: from_csv: " + in.where() + ", line " + std::to_string(in.line_number()) +
                               ", field " + std::to_string(fields.size() - 1) +
                               ": unexpected text after a quoted field");
        } else {
            std::size_t j = line.find(delim, i);
            if (j == std::string_view::npos) j = n;
            std::size_t e = j;
            while (e > i && csv_blank(line[e - 1], delim)) --e;
            fields.push_back(line.substr(i, e - i));
            i = j;
        }
        if (i >= n) return;
        ++i;  // the delimiter; a trailing one starts an empty last field
    }
}

TFX_INLINE std::string csv_unquote(std::string_view f) {
    std::string r;
    for (std::size_t i = 0; i < f.size(); ++i) {
        r += f[i];
        if (f[i] == '"' && i + 1 < f.size() && f[i + 1] == '"') ++i;
    }
    return r;
}

TFX_INLINE bool csv_first_line(csv_lines& in, std::string_view& line) {
    while (in.next(line))
        if (!csv_blank_line(line)) return true;
    return false;
}

}  // namespace tfx::data::detail
