#include "metadata/path.h"

namespace nsmp::metadata {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = hexValue(in[i + 1]);
      int lo = hexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

}  // namespace

std::vector<std::string> pathTokens(std::string_view target) {
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  std::string decoded = percentDecode(path);
  std::vector<std::string> tokens;
  size_t start = 0;
  while (start <= decoded.size()) {
    size_t slash = decoded.find('/', start);
    if (slash == std::string::npos) slash = decoded.size();
    std::string_view segment(decoded.data() + start, slash - start);
    if (segment == "..") {
      if (!tokens.empty()) tokens.pop_back();
    } else if (!segment.empty() && segment != ".") {
      tokens.emplace_back(segment);
    }
    start = slash + 1;
  }
  return tokens;
}

}  // namespace nsmp::metadata
