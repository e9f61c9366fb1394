// Fuzzes the request path the proxy runs on bytes from a VM: the request-head
// pipeline (scanner, llhttp strict, policy), the upstream head rewrite and
// the body decoder.
// Beyond "no crash", it checks the security invariants on every accepted
// input: the head sent upstream parses again as exactly one request, carries
// exactly one identity header and one X-Forwarded-For, both with the proxy's
// values, and no name with '_'.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/buffer.h"
#include "http/body_decoder.h"
#include "http/head_scanner.h"
#include "http/header_names.h"
#include "http/request.h"
#include "http/response.h"
#include "fuzz/invariant.h"

namespace {

using namespace nsmp;
using namespace nsmp::http;
using fuzz::check;

// Decoded body bytes, kept to compare.
class Collect final : public BodySink {
 public:
  explicit Collect(Buffer& out) : out_(out) {}
  void onBodyData(std::string_view d) override { out_.append(d, 1 << 20); }

 private:
  Buffer& out_;
};

void verifyUpstreamHead(std::string_view up) {
  HeadScanner scanner;
  RequestHead again;
  check(readRequestHead(scanner, up, &again).progress == HeadProgress::kComplete,
        "upstream head passes the proxy's own checks");
  check(again.size == up.size(), "upstream head is one head");
  int identity = 0, xff = 0;
  for (const Header& h : again.fields.headers()) {
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
  RequestHead head;
  if (readRequestHead(scanner, in, &head).progress != HeadProgress::kComplete) return 0;
  const RequestFacts& facts = head.facts;
  Buffer up;
  if (writeUpstreamHead(head.fields, facts, {"X-Neutron-Network-ID", "net-fuzz"}, "192.0.2.7", up,
                        64 * 1024) != Reply::kNone) {
    return 0;
  }
  if (facts.body == BodyFraming::kChunked) closeUpstreamHead(up, 0, 64 * 1024);
  verifyUpstreamHead(up.view());
  // The body, fed in small pieces as the proxy may receive it; the same
  // bytes whole must decode to the same body and stop at the same place.
  std::string_view rest = in.substr(head.size);
  Buffer pieces_out, whole_out;
  Collect pieces_sink(pieces_out), whole_sink(whole_out);
  BodyDecoder pieces, whole;
  pieces.start(facts.body, facts.content_length, 1 << 16);
  whole.start(facts.body, facts.content_length, 1 << 16);
  size_t used = 0;
  while (used < rest.size() && !pieces.done() && !pieces.failed()) {
    std::string_view piece = rest.substr(used, 7);
    size_t n = pieces.decode(piece, pieces_sink);
    check(n <= piece.size(), "consumed within input");
    used += n;
    if (n < piece.size()) break;
  }
  size_t used_whole = whole.decode(rest, whole_sink);
  check(pieces.done() == whole.done() && pieces.failed() == whole.failed(),
        "same verdict in pieces and whole");
  if (whole.done()) check(used == used_whole, "the body ends at the same byte");
  if (!whole.failed())
    check(pieces_out.view() == whole_out.view(), "same body in pieces and whole");
  return 0;
}
