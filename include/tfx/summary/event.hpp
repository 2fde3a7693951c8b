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

#include "../core/inline.hpp"
#include "histogram.hpp"
#include "wire.hpp"

namespace tfx::summary::event {

// The version string TensorBoard looks for in the first event of a file.
inline constexpr std::string_view file_version = "brain.Event:2";

inline constexpr std::uint64_t dt_string = 7;          // DataType DT_STRING
inline constexpr std::uint64_t data_class_tensor = 2;  // DataClass DATA_CLASS_TENSOR

// The first event of a file: { wall_time, file_version }.
std::string file_version_event(double wall_time, std::string_view version = file_version);

// An event carrying a Summary of one value (`value` is a serialized Summary.Value).
std::string summary_event(double wall_time, std::int64_t step, std::string_view value);

// Summary.Value with simple_value: the scalars dashboard shows it (TensorBoard migrates it to its
// "scalars" plugin, as for TF 1.x and PyTorch's writers).
std::string scalar_value(std::string_view tag, float value);

// Summary.Value with a HistogramProto: the histograms and distributions dashboards.
std::string histogram_value(std::string_view tag, const histogram_data& h);

// Summary.Value as the text plugin expects it: metadata { plugin_data { plugin_name: "text" }
// data_class: DATA_CLASS_TENSOR } and a rank-0 DT_STRING tensor holding the text (Markdown).
std::string text_value(std::string_view tag, std::string_view text);

}  // namespace tfx::summary::event

#ifndef TFX_COMPILED_LIB
#include "impl/event.ipp"
#endif
