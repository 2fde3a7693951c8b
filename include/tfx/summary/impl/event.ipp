#pragma once
// Definitions of event.hpp's plain functions (core/inline.hpp: inline here unless TFX_COMPILED_LIB;
// then src/tfx.cpp compiles them once).
#include "../event.hpp"

#include <utility>

namespace tfx::summary::event {

TFX_INLINE std::string file_version_event(double wall_time, std::string_view version) {
    proto_writer e;
    e.double_field(1, wall_time).bytes_field(3, version);
    return std::move(e).bytes();
}

TFX_INLINE std::string summary_event(double wall_time, std::int64_t step, std::string_view value) {
    proto_writer summary;
    summary.bytes_field(1, value);
    proto_writer e;
    e.double_field(1, wall_time).int64_field(2, step).message_field(5, summary);
    return std::move(e).bytes();
}

TFX_INLINE std::string scalar_value(std::string_view tag, float value) {
    proto_writer v;
    v.bytes_field(1, tag).float_field(2, value);
    return std::move(v).bytes();
}

TFX_INLINE std::string histogram_value(std::string_view tag, const histogram_data& h) {
    proto_writer histo;
    histo.double_field(1, h.min)
        .double_field(2, h.max)
        .double_field(3, h.num)
        .double_field(4, h.sum)
        .double_field(5, h.sum_squares)
        .packed_double_field(6, std::span<const double>(h.bucket_limit))
        .packed_double_field(7, std::span<const double>(h.bucket));
    proto_writer v;
    v.bytes_field(1, tag).message_field(5, histo);
    return std::move(v).bytes();
}

TFX_INLINE std::string text_value(std::string_view tag, std::string_view text) {
    proto_writer plugin;
    plugin.bytes_field(1, "text");  // content: TextPluginData{version: 0}, which serializes to nothing
    proto_writer metadata;
    metadata.message_field(1, plugin).uint64_field(4, data_class_tensor);
    proto_writer tensor;
    tensor.uint64_field(1, dt_string).message_field(2, proto_writer{}).bytes_field(8, text);  // shape []: no dims
    proto_writer v;
    v.bytes_field(1, tag).message_field(8, tensor).message_field(9, metadata);
    return std::move(v).bytes();
}

}  // namespace tfx::summary::event
