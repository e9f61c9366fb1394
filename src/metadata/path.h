// Request paths the way Nova reads them (nova/api/metadata/base.py lookup()):
// the query is ignored, %XX is decoded (WSGI's PATH_INFO is decoded), and
// posixpath.normpath() folds "//", "." and ".." and drops a trailing "/", so
// "/latest/meta-data/" and "/latest/meta-data" are the same resource.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nsmp::metadata {

// The path's segments after normalisation; "/" gives an empty list.
std::vector<std::string> pathTokens(std::string_view target);

}  // namespace nsmp::metadata
