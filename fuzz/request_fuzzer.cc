// Fuzzes the request path the proxy runs on bytes from a VM: head scanner,
// llhttp (strict), request policy, upstream head rewrite and body decoding.
// Beyond "no crash", it checks the security invariants on every accepted
// input: the head sent upstream parses again as exactly one request, carries
// exactly one identity header and one X-Forwarded-For, both with the proxy's
// values, and no name with '_'.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/buffer.h"
#include "http/head_scanner.h"
#include "http/header_names.h"
#include "http/message.h"
#include "http/request.h"
#include "http/response.h"
#include "invariant.h"

namespace {

using namespace nsmp;
using namespace nsmp::http;
using fuzz::check;

class Discard final : public BodySink {
 public:
  explicit Discard(Buffer& out) : out_(out) {}
  void onBodyData(std::string_view d) override { encodeBody(Framing::kChunked, d, out_, 1 << 20); }

 private:
  Buffer& out_;
};

void verifyUpstreamHead(std::string_view up) {
  HeadScanner scanner;
  check(scanner.scan(up) == HeadScanner::State::kComplete, "upstream head scans");
  check(scanner.headEnd() == up.size(), "upstream head is one head");
  MessageParser parser(HTTP_REQUEST);
  parser.reset();
  HeadFields fields;
  check(parser.parseHead(up, &fields) == HPE_OK, "upstream head parses");
  int identity = 0, xff = 0;
  for (const Header& h : fields.headers) {
    check(h.name.find('_') == std::string_view::npos, "no '_' names upstream");
    if (equalsIgnoreCase(h.name, "X-Neutron-Network-ID")) {
      ++identity;
      check(h.value == "net-fuzz", "identity value is ours");
    } else if (equalsIgnoreCase(h.name, "X-Forwarded-For")) {
      ++xff;
      check(h.value == "192.0.2.7", "X-Forwarded-For is the peer");
    } else {
      HeaderClass c = classifyRequestHeader(h.name);
      check(c != HeaderClass::kIdentity && c != HeaderClass::kHopByHop, "nothing spoofed upstream");
    }
  }
  check(identity == 1 && xff == 1, "exactly one identity and one X-Forwarded-For");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  HeadScanner scanner;
  if (scanner.scan(in) != HeadScanner::State::kComplete) return 0;
  std::string_view head = in.substr(0, scanner.headEnd());
  MessageParser parser(HTTP_REQUEST);
  parser.reset();
  HeadFields fields;
  if (parser.parseHead(head, &fields) != HPE_OK) return 0;
  RequestFacts facts;
  if (analyzeRequest(fields, parser.keepAlive(), &facts) != Reply::kNone) return 0;
  Buffer up;
  if (writeUpstreamHead(fields, facts, {"X-Neutron-Network-ID", "net-fuzz"}, "192.0.2.7", up,
                        64 * 1024) != Reply::kNone) {
    return 0;
  }
  verifyUpstreamHead(up.view());
  // The body, fed in small pieces as the proxy may receive it.
  Buffer body;
  Discard sink(body);
  std::string_view rest = in.substr(head.size());
  while (!rest.empty() && !parser.messageComplete()) {
    std::string_view piece = rest.substr(0, 7);
    MessageParser::Fed fed = parser.feedBody(piece, sink);
    if (fed.error != HPE_OK) break;
    check(fed.consumed <= piece.size(), "consumed within input");
    if (fed.consumed == 0) break;
    rest.remove_prefix(fed.consumed);
  }
  return 0;
}
