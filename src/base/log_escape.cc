#include "base/log_escape.h"

namespace nsmp::log {

void appendEscaped(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      const char esc[4] = {'\\', 'x', kHex[u >> 4], kHex[u & 0xf]};
      out->append(esc, sizeof esc);
    } else {
      out->push_back(c);
    }
  }
}

std::string escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  appendEscaped(text, &out);
  return out;
}

}  // namespace nsmp::log
