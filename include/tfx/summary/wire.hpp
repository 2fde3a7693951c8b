#pragma once
// The protocol buffers wire format, written by hand (only what the event messages use): varints,
// 32- and 64-bit fixed values, length-delimited fields and packed repeated doubles. Serializing
// fields in field-number order with no unknown fields gives the bytes protobuf itself writes.
#include <bit>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "../core/inline.hpp"

namespace tfx::summary {

class proto_writer {
   public:
    enum wire_type : std::uint32_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

    // int64/uint64/int32/bool/enum fields. Negative int64 values take ten bytes, as protobuf's.
    proto_writer& uint64_field(std::uint32_t field, std::uint64_t v);
    proto_writer& int64_field(std::uint32_t field, std::int64_t v) { return uint64_field(field, std::uint64_t(v)); }
    proto_writer& double_field(std::uint32_t field, double v);
    proto_writer& float_field(std::uint32_t field, float v);
    // string, bytes and embedded messages (pass the message's serialized bytes).
    proto_writer& bytes_field(std::uint32_t field, std::string_view bytes);
    proto_writer& message_field(std::uint32_t field, const proto_writer& m) { return bytes_field(field, m.bytes()); }
    // `repeated double ... [packed = true]` (proto3's default for scalars). Nothing for an empty list.
    proto_writer& packed_double_field(std::uint32_t field, std::span<const double> v);

    const std::string& bytes() const& { return out_; }
    std::string bytes() && { return std::move(out_); }

   private:
    std::string out_;

    void key(std::uint32_t field, wire_type t) { put_varint((std::uint64_t(field) << 3) | t); }
    void put_varint(std::uint64_t v);
    // Little-endian, whatever the host's byte order.
    void put_fixed64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) out_.push_back(char((v >> (8 * i)) & 0xFF));
    }
    void put_fixed32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) out_.push_back(char((v >> (8 * i)) & 0xFF));
    }
};

}  // namespace tfx::summary

#ifndef TFX_COMPILED_LIB
#include "impl/wire.ipp"
#endif
