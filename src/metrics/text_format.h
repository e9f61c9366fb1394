// Writing the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): a family's
// HELP and TYPE lines, then its samples, one per line. Label values are
// escaped as the format requires (backslash, double quote, newline); names
// are ours and never need it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nsmp::metrics {

// The Content-Type of what these functions write.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// "# HELP name help\n# TYPE name type\n"; type is counter, gauge or histogram.
void writeFamily(std::string* out, std::string_view name, std::string_view type,
                 std::string_view help);

// Writes `name{labels} value\n`; labels is already formatted (`a="x",b="y"`)
// or empty.
void writeSample(std::string* out, std::string_view name, std::string_view labels, uint64_t value);
void writeSample(std::string* out, std::string_view name, std::string_view labels, double value);

// Appends `key="value"` (with a ',' first when *out is not empty), escaping value.
void appendLabel(std::string* out, std::string_view key, std::string_view value);

}  // namespace nsmp::metrics
