#include "metrics/text_format.h"

#include <iterator>

#include <fmt/format.h>

namespace nsmp::metrics {
namespace {

// `name{labels} `, for the caller to append the value and '\n'.
void writeSampleStart(std::string* out, std::string_view name, std::string_view labels) {
  out->append(name);
  if (!labels.empty()) {
    out->push_back('{');
    out->append(labels);
    out->push_back('}');
  }
  out->push_back(' ');
}

}  // namespace

void writeFamily(std::string* out, std::string_view name, std::string_view type,
                 std::string_view help) {
  fmt::format_to(std::back_inserter(*out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void writeSample(std::string* out, std::string_view name, std::string_view labels, uint64_t value) {
  writeSampleStart(out, name, labels);
  fmt::format_to(std::back_inserter(*out), "{}\n", value);
}

void writeSample(std::string* out, std::string_view name, std::string_view labels, double value) {
  writeSampleStart(out, name, labels);
  // Shortest form that reads back as the same double ("0.001", "1e-06", "2.5").
  fmt::format_to(std::back_inserter(*out), "{}\n", value);
}

void appendLabel(std::string* out, std::string_view key, std::string_view value) {
  if (!out->empty()) out->push_back(',');
  out->append(key);
  out->append("=\"");
  for (char c : value) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '"') {
      out->append("\\\"");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

}  // namespace nsmp::metrics
