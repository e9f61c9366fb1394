#include "proxy/listener_id.h"

#include <fmt/format.h>

#include "base/log_escape.h"

namespace nsmp::proxy {

bool isSafeId(std::string_view id) {
  if (id.empty() || id.size() > 255 || id == "." || id == "..") return false;
  for (char c : id) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;  // space, controls, DEL, non-ASCII
    switch (c) {
      case '/':
      case '\\':
      case '"':
      case '\'':
      case '#':
      case '%':
        return false;
      default:
        break;
    }
  }
  return true;
}

std::string idProblem(std::string_view id) {
  std::string why =
      "must be 1-255 printable ASCII characters without spaces or any of / \\ \" ' # %, and "
      "not . or ..";
  if (id.empty() || id.size() > 255) return why;
  // fmt, not operator+: g++ 12 at -O3 reads "'" + string + ... as an
  // overlapping memcpy (a false -Wrestrict, an error with -Werror).
  return fmt::format("'{}' {}", log::escaped(id), why);
}

}  // namespace nsmp::proxy
