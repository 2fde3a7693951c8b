#pragma once
// data::from_csv<Features, Label>(path, options): one element per line of a CSV file, streamed:
// the file is read options.read_bytes at a time, so memory is bounded by that and the longest line
// (at most options.max_line_bytes), never by the file's size. Features is tensor<T, N> (N columns,
// N static or dyn) or tensor<T> (one column); Label is void (elements are the features alone) or
// tensor<L> (elements are (features, label) tuples). T and L are float, double, int32_t or int64_t.
// A line with the wrong number of fields, or a field that is not a number of its type, is an
// io_error naming the file, the line and the column; the element being parsed is never handed on.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "../core/inline.hpp"
#include "dataset.hpp"

namespace tfx::data {

// A column, by index (0-based) or by its name in the header row.
struct csv_column {
    std::variant<std::size_t, std::string> ref;

    template <std::integral I>
        requires(!std::is_same_v<I, bool> && !std::is_same_v<I, char>)
    csv_column(I index) : ref(std::size_t(index)) {
        if (index < 0)
            throw value_error("tfx: from_csv: a column index must not be negative, got " + std::to_string(index));
    }
    csv_column(const char* name) : ref(std::string(name)) {}
    csv_column(std::string name) : ref(std::move(name)) {}
    csv_column(std::string_view name) : ref(std::string(name)) {}
};

struct csv_options {
    bool header = true;                    // the first line names the columns
    char delimiter = ',';                  // ';' and '\t' are common too
    std::vector<csv_column> features{};    // empty: every column but the label
    std::optional<csv_column> label{};     // needed exactly when the Label type is not void
    std::size_t read_bytes = 1 << 16;      // read from the file at a time
    std::size_t max_line_bytes = 1 << 24;  // a longer line is an error (memory stays bounded)
};

namespace detail {

std::string csv_where(const std::filesystem::path& p);

// The lines of a file, read `read_bytes` at a time. A line is returned as a view into the read
// buffer, or into a carry-over string when it spans two reads; it stays valid until the next call.
// Line numbers count every line, blank or not, from 1.
class csv_lines {
    int fd_ = -1;
    std::unique_ptr<char[]> buf_;
    std::size_t cap_, max_line_, pos_ = 0, end_ = 0, line_ = 0;
    std::string carry_, where_;
    bool eof_ = false, carry_used_ = false;

    // Every line is held to max_line_bytes (its length without the '\n'), whether it lies in one
    // read or spans several: the limit must not depend on where the reads happen to split the file.
    [[noreturn]] void too_long() const;
    void append(const char* p, std::size_t n) {
        if (carry_.size() + n > max_line_) too_long();
        carry_.append(p, n);
    }
    void fill();
    void finish(std::string_view& line) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line_ == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // a UTF-8 byte order mark
    }

   public:
    csv_lines(const std::filesystem::path& path, std::size_t read_bytes, std::size_t max_line);
    csv_lines(csv_lines&& o) noexcept;
    csv_lines& operator=(csv_lines&&) = delete;
    ~csv_lines() {
        if (fd_ >= 0) ::close(fd_);
    }

    std::size_t line_number() const noexcept { return line_; }
    const std::string& where() const noexcept { return where_; }

    bool next(std::string_view& line);
};

inline bool csv_blank(char c, char delim) { return (c == ' ' || c == '\t') && c != delim; }

bool csv_blank_line(std::string_view line);

// Splits a line into fields (views into the line). Blanks around a field are dropped; a quoted
// field may hold the delimiter and doubled quotes ("" stays doubled in the view; see unquote).
void csv_split(std::string_view line, char delim, std::vector<std::string_view>& fields, const csv_lines& in);

std::string csv_unquote(std::string_view f);

// Parses the whole field as a number of type T: "" when it is one, else why not.
template <class T>
const char* csv_parse(std::string_view s, T& out) {
    if (s.empty()) return "is empty";
    if (s.size() > 1 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);  // from_chars takes no '+'
    const char* last = s.data() + s.size();
    std::from_chars_result r;
    if constexpr (std::is_floating_point_v<T>)
        r = std::from_chars(s.data(), last, out, std::chars_format::general);
    else
        r = std::from_chars(s.data(), last, out, 10);
    if (r.ec == std::errc::result_out_of_range) return "is out of range";
    if (r.ec != std::errc() || r.ptr != last)
        return std::is_floating_point_v<T> ? "is not a number" : "is not an integer";
    return "";
}

template <class L>
inline constexpr bool csv_label_type = [] {
    if constexpr (std::is_void_v<L>)
        return true;
    else if constexpr (is_tensor_v<L>)
        return L::rank == 0 && number_type<typename L::value_type>;
    else
        return false;
}();

struct csv_spec {
    std::filesystem::path path;
    csv_options options;
    std::size_t columns = 0;              // fields per line
    std::vector<std::size_t> features;    // column indices
    std::size_t label = std::size_t(-1);  // column index, or none
    std::vector<std::string> names;       // from the header, or empty
};

// The first non-blank line (the header, or the first row when there is none); false if none.
bool csv_first_line(csv_lines& in, std::string_view& line);

}  // namespace detail

template <class Features, class Label>
class csv_dataset : public dataset_base<csv_dataset<Features, Label>> {
    std::shared_ptr<const detail::csv_spec> spec_;

   public:
    using element_type = std::conditional_t<std::is_void_v<Label>, Features, std::tuple<Features, Label>>;

    explicit csv_dataset(std::shared_ptr<const detail::csv_spec> spec) : spec_(std::move(spec)) {}

    class cursor {
        std::shared_ptr<const detail::csv_spec> spec_;
        detail::csv_lines in_;
        std::vector<std::string_view> fields_;
        element_type parsed_{};  // the line is parsed here and handed on only when complete

        [[noreturn]] void bad_field(std::size_t col, std::string_view field, const char* why, const char* type) const {
            std::string name = spec_->names.empty() ? "" : " ('" + spec_->names[col] + "')";
            throw io_error("tfx: from_csv: " + in_.where() + ", line " + std::to_string(in_.line_number()) +
                           ", column " + std::to_string(col) + name + ": \"" + std::string(field.substr(0, 64)) +
                           "\" " + why + " (expected " + type + ")");
        }
        template <class T>
        void parse(std::size_t col, T& out) const {
            const char* why = detail::csv_parse(fields_[col], out);
            if (*why) bad_field(col, fields_[col], why, detail::type_name<T>());
        }

       public:
        explicit cursor(std::shared_ptr<const detail::csv_spec> spec)
            : spec_(std::move(spec)), in_(spec_->path, spec_->options.read_bytes, spec_->options.max_line_bytes) {
            std::string_view line;
            if (spec_->options.header && detail::csv_first_line(in_, line)) {
                detail::csv_split(line, spec_->options.delimiter, fields_, in_);
                if (fields_.size() != spec_->columns)
                    throw io_error("tfx: from_csv: " + in_.where() + ", line " + std::to_string(in_.line_number()) +
                                   ": the header now has " + std::to_string(fields_.size()) + " fields, it had " +
                                   std::to_string(spec_->columns) + " (was the file changed?)");
            }
        }

        static Features& feature_part(element_type& e) {
            if constexpr (std::is_void_v<Label>)
                return e;
            else
                return std::get<0>(e);
        }

        bool next(element_type& out) {
            std::string_view line;
            do
                if (!in_.next(line)) return false;
            while (detail::csv_blank_line(line));
            detail::csv_split(line, spec_->options.delimiter, fields_, in_);
            if (fields_.size() != spec_->columns)
                throw io_error("tfx: from_csv: " + in_.where() + ", line " + std::to_string(in_.line_number()) +
                               ": expected " + std::to_string(spec_->columns) + " fields (as the " +
                               (spec_->options.header ? "header" : "first line") + " has), found " +
                               std::to_string(fields_.size()));
            Features& f = feature_part(parsed_);
            // parsed_ holds whatever storage the consumer handed back last time: size it (a no-op
            // when it already has this shape).
            if constexpr (!Features::is_static) f.resize({spec_->features.size()});
            typename Features::value_type* p = f.data();
            for (std::size_t col : spec_->features) parse(col, *p++);
            if constexpr (!std::is_void_v<Label>) parse(spec_->label, std::get<1>(parsed_)());
            detail::transfer(out, parsed_);
            return true;
        }
    };
    cursor make_cursor() const { return cursor(spec_); }
    std::int64_t cardinality() const noexcept { return unknown_cardinality; }
};

template <class Features = tensor<float, dyn>, class Label = void>
auto from_csv(const std::filesystem::path& path, csv_options options = {}) {
    static_assert(is_tensor_v<Features> && Features::rank <= 1 && detail::number_type<typename Features::value_type>,
                  "tfx: from_csv: Features must be tensor<T, N> (N columns, static or dyn) or tensor<T> (one column), "
                  "T float, double, int32_t or int64_t");
    static_assert(detail::csv_label_type<Label>,
                  "tfx: from_csv: Label must be void (no label) or tensor<L> with L float, double, int32_t or int64_t");
    const std::string where = detail::csv_where(path);
    if (std::is_void_v<Label> && options.label)
        throw value_error("tfx: from_csv: " + where +
                          ": options.label names a label column, but the Label type is void: "
                          "use from_csv<Features, tensor<std::int64_t>>(...) for (features, label) elements");
    if (!std::is_void_v<Label> && !options.label)
        throw value_error("tfx: from_csv: " + where +
                          ": the Label type is a tensor, but options.label names no column");
    if (options.read_bytes == 0) throw value_error("tfx: from_csv: options.read_bytes must be at least 1");

    auto spec = std::make_shared<detail::csv_spec>();
    spec->path = path;
    spec->options = options;
    detail::csv_lines in(path, options.read_bytes, options.max_line_bytes);
    std::string_view line;
    if (!detail::csv_first_line(in, line))
        throw io_error("tfx: from_csv: " + where + ", line " + std::to_string(in.line_number() + 1) +
                       ": the file is empty (" +
                       (options.header ? "expected a header row)" : "expected a first row of data)"));
    std::vector<std::string_view> fields;
    detail::csv_split(line, options.delimiter, fields, in);
    spec->columns = fields.size();
    if (options.header)
        for (auto f : fields) spec->names.push_back(detail::csv_unquote(f));

    auto resolve = [&](const csv_column& c, const char* role) -> std::size_t {
        if (const auto* i = std::get_if<std::size_t>(&c.ref)) {
            if (*i >= spec->columns)
                throw io_error("tfx: from_csv: " + where + ": the " + role + " column " + std::to_string(*i) +
                               " is out of range: lines have " + std::to_string(spec->columns) + " fields");
            return *i;
        }
        const std::string& name = std::get<std::string>(c.ref);
        if (!options.header)
            throw value_error("tfx: from_csv: " + where + ": the " + role + " column '" + name +
                              "' is given by name, but the file has no header row (options.header is false)");
        for (std::size_t k = 0; k < spec->names.size(); ++k)
            if (spec->names[k] == name) return k;
        std::string all;
        for (const auto& n : spec->names) all += (all.empty() ? "'" : ", '") + n + "'";
        throw io_error("tfx: from_csv: " + where + ": the header has no column named '" + name +
                       "' (its columns: " + all + ")");
    };
    if (options.label) spec->label = resolve(*options.label, "label");
    if (options.features.empty()) {
        for (std::size_t k = 0; k < spec->columns; ++k)
            if (k != spec->label) spec->features.push_back(k);
    } else {
        for (const auto& c : options.features) spec->features.push_back(resolve(c, "feature"));
    }
    constexpr index_t want = [] {
        if constexpr (Features::rank == 0)
            return index_t(1);
        else
            return Features::shape_type::extents[0];
    }();
    if (spec->features.empty() || (want != dyn && std::size_t(want) != spec->features.size()))
        throw io_error("tfx: from_csv: " + where + ": " + std::to_string(spec->features.size()) +
                       " feature columns are selected, but the features tensor " +
                       shape_string_static<typename Features::shape_type>() + " needs " +
                       (want == dyn ? std::string("at least 1") : std::to_string(want)));
    return csv_dataset<Features, Label>(std::move(spec));
}

}  // namespace tfx::data

#ifndef TFX_COMPILED_LIB
#include "impl/csv.ipp"
#endif
