#pragma once
// The Event and Summary messages of TensorFlow's event files, encoded by hand. Field numbers are
// those of tensorflow/core/util/event.proto, core/framework/summary.proto, histogram.proto,
// tensor.proto and tensor_shape.proto:
//
//   Event           { double wall_time = 1; int64 step = 2;
//                     oneof what { string file_version = 3; Summary summary = 5; ... } }
//   Summary         { repeated Value value = 1; }
//   Summary.Value   { string tag = 1; SummaryMetadata metadata = 9;
//                     oneof value { float simple_value = 2; HistogramProto histo = 5;
//                                   TensorProto tensor = 8; ... } }
//   SummaryMetadata { PluginData plugin_data = 1; ...; DataClass data_class = 4; }
//   PluginData      { string plugin_name = 1; bytes content = 2; }
//   HistogramProto  { double min = 1, max = 2, num = 3, sum = 4, sum_squares = 5;
//                     repeated double bucket_limit = 6 [packed], bucket = 7 [packed]; }
//   TensorProto     { DataType dtype = 1; TensorShapeProto tensor_shape = 2; repeated bytes string_val = 8; ... }
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "histogram.hpp"
#include "wire.hpp"

namespace tfx::summary::event {

// The version string TensorBoard looks for in the first event of a file.
inline constexpr std::string_view file_version = "brain.Event:2";

inline constexpr std::uint64_t dt_string = 7;          // DataType DT_STRING
inline constexpr std::uint64_t data_class_tensor = 2;  // DataClass DATA_CLASS_TENSOR

// The first event of a file: { wall_time, file_version }.
inline std::string file_version_event(double wall_time, std::string_view version = file_version) {
    proto_writer e;
    e.double_field(1, wall_time).bytes_field(3, version);
    return std::move(e).bytes();
}

// An event carrying a Summary of one value (`value` is a serialized Summary.Value).
inline std::string summary_event(double wall_time, std::int64_t step, std::string_view value) {
    proto_writer summary;
    summary.bytes_field(1, value);
    proto_writer e;
    e.double_field(1, wall_time).int64_field(2, step).message_field(5, summary);
    return std::move(e).bytes();
}

// Summary.Value with simple_value: the scalars dashboard shows it (TensorBoard migrates it to its
// "scalars" plugin, as for TF 1.x and PyTorch's writers).
inline std::string scalar_value(std::string_view tag, float value) {
    proto_writer v;
    v.bytes_field(1, tag).float_field(2, value);
    return std::move(v).bytes();
}

// Summary.Value with a HistogramProto: the histograms and distributions dashboards.
inline std::string histogram_value(std::string_view tag, const histogram_data& h) {
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

// Summary.Value as the text plugin expects it: metadata { plugin_data { plugin_name: "text" }
// data_class: DATA_CLASS_TENSOR } and a rank-0 DT_STRING tensor holding the text (Markdown).
inline std::string text_value(std::string_view tag, std::string_view text) {
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
