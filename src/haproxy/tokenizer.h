// Splits one line of an haproxy configuration file into words, the way
// haproxy's own reader does for the subset Neutron and OVN write: words are
// separated by spaces or tabs, `#` outside quotes starts a comment, a
// backslash escapes the next character, double and single quotes group
// (environment-variable expansion inside double quotes is not supported and
// is refused rather than passed through literally).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace nsmp::haproxy {

// Error messages name what is wrong without the line number; the caller adds
// "line N: ".
Result<std::vector<std::string>> splitWords(std::string_view line);

}  // namespace nsmp::haproxy
