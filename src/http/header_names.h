// Which request and response header names the proxy treats specially.
// Matching is case-insensitive (RFC 9110 §5.1).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "http/head_parser.h"

namespace nsmp::http {

enum class HeaderClass : uint8_t {
  kForward,     // end-to-end: passed on unchanged
  kIdentity,    // asserted by the proxy alone: the client's copy is dropped
  kHopByHop,    // RFC 9110 §7.6.1: never forwarded
  kConnection,  // hop-by-hop, and lists more hop-by-hop names
  kHost,
  kContentLength,     // framing: the proxy writes its own
  kTransferEncoding,  // framing: the proxy writes its own
  kExpect,
  kUnderscore,  // WSGI folds '_' into '-': X_Neutron_Router_ID would spoof
};

HeaderClass classifyRequestHeader(std::string_view name);
HeaderClass classifyResponseHeader(std::string_view name);

bool equalsIgnoreCase(std::string_view a, std::string_view b);
std::string_view trimOws(std::string_view s);

// Calls fn(token) for each element of a comma-separated list (RFC 9110 §5.6.1),
// skipping empty elements and trimming whitespace.
template <typename Fn>
void forEachListToken(std::string_view list, Fn fn) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view tok = trimOws(list.substr(0, comma));
    if (!tok.empty()) fn(tok);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// The names a message's Connection headers list (RFC 9110 §7.6.1), collected
// once per message so that checking each header is O(tokens), not a rescan of
// every header (a VM may send 100 fields). No allocation without Connection.
class ConnectionTokens {
 public:
  explicit ConnectionTokens(const HeadFields& head);
  bool lists(std::string_view name) const;

 private:
  std::vector<std::string_view> tokens_;
};

}  // namespace nsmp::http
