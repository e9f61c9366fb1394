// Reads and validates the data file (format: examples/README.md). Runs at
// start-up and on every reload; never on the request path. Errors are for
// the person who edits the file: they name the line (JSON syntax) or the key
// path ("instances[1].ports[0].ip_addresses[0]") and say what is expected.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "metadata/model.h"

namespace nsmp::metadata {

using DatasetPtr = std::shared_ptr<const Dataset>;

// The data (never null), or kInvalidArgument saying what is wrong.
Result<DatasetPtr> parseDataset(std::string_view text);
// Reads the file, then parseDataset(); errors are prefixed with the path.
Result<DatasetPtr> loadDatasetFile(const std::string& path);

// 1-based line and column of a 1-based byte position (nlohmann's parse_error::byte).
struct TextPosition {
  size_t line = 1;
  size_t column = 1;
};
TextPosition positionOfByte(std::string_view text, size_t byte);

}  // namespace nsmp::metadata
