#pragma once
// Definitions of wire.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../wire.hpp"

#include <bit>

namespace tfx::summary {

TFX_INLINE proto_writer& proto_writer::uint64_field(std::uint32_t field, std::uint64_t v) {
    key(field, varint);
    put_varint(v);
    return *this;
}

TFX_INLINE proto_writer& proto_writer::double_field(std::uint32_t field, double v) {
    key(field, fixed64);
    put_fixed64(std::bit_cast<std::uint64_t>(v));
    return *this;
}

TFX_INLINE proto_writer& proto_writer::float_field(std::uint32_t field, float v) {
    key(field, fixed32);
    put_fixed32(std::bit_cast<std::uint32_t>(v));
    return *this;
}

TFX_INLINE proto_writer& proto_writer::bytes_field(std::uint32_t field, std::string_view bytes) {
    key(field, length_delimited);
    put_varint(bytes.size());
    out_.append(bytes);
    return *this;
}

TFX_INLINE proto_writer& proto_writer::packed_double_field(std::uint32_t field, std::span<const double> v) {
    if (v.empty()) return *this;
    key(field, length_delimited);
    put_varint(v.size() * 8);
    for (double d : v) put_fixed64(std::bit_cast<std::uint64_t>(d));
    return *this;
}

TFX_INLINE void proto_writer::put_varint(std::uint64_t v) {
    while (v >= 0x80) {
        out_.push_back(char((v & 0x7F) | 0x80));
        v >>= 7;
    }
    out_.push_back(char(v));
}

}  // namespace tfx::summary
