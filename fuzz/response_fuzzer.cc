// Fuzzes the response path, as proxy::Session runs it on bytes from the
// metadata agent: head scanner (response limits), llhttp, 1xx relaying, the
// choice of client framing, the client head and the re-framed body.
//
// The first input byte picks the request that was sent (bit 0: HEAD; bit 1:
// HTTP/1.1 client, else 1.0; bit 2: the client asked for keep-alive); the
// rest is what the agent sends. Beyond "no crash", on every response the
// proxy would relay it checks what the VM receives, parsing it as a client
// would: every head is one complete head that parses again, the final one
// has the agent's status and exactly the framing the proxy chose, and the
// body the VM decodes is byte for byte the body the proxy decoded, with the
// message ending exactly at the end of what was written -- so no response
// can make the VM's parser see a second response or lose bytes.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/buffer.h"
#include "http/body_decoder.h"
#include "http/head_scanner.h"
#include "http/header_names.h"
#include "http/response.h"
#include "fuzz/invariant.h"

namespace {

using namespace nsmp;
using namespace nsmp::http;
using fuzz::check;

constexpr size_t kLimit = 1 << 22;

// Decoded body bytes, re-encoded toward the client as the session does.
class Relay final : public BodySink {
 public:
  Relay(Framing f, Buffer& client) : framing_(f), client_(client) {}
  void onBodyData(std::string_view d) override {
    decoded.append(d);
    encodeBody(framing_, d, client_, kLimit);
  }
  std::string decoded;

 private:
  Framing framing_;
  Buffer& client_;
};

class Collect final : public BodySink {
 public:
  void onBodyData(std::string_view d) override { body.append(d); }
  std::string body;
};

int count(const HeadFields& h, std::string_view name) {
  int n = 0;
  for (const Header& f : h.headers()) n += equalsIgnoreCase(f.name, name) ? 1 : 0;
  return n;
}

// Parses what the VM receives, as a client would.
void verifyClientSide(std::string_view out, bool head_request, const ClientFraming& framing,
                      int status, const std::string& decoded) {
  ResponseHead head;
  const HeadFields& fields = head.fields;
  for (;;) {
    HeadScanner scanner(HeadLimits{}, /*request=*/false);  // as proxy::Session
    check(readResponseHead(scanner, out, head_request, &head).progress == HeadProgress::kComplete,
          "client head passes the proxy's own checks");
    out.remove_prefix(head.size);
    if (fields.status >= 200) break;
    check(!fields.body_follows, "interim response has no body");
  }
  check(fields.status == status, "client sees the agent's status");
  check(count(fields, "Transfer-Encoding") == (framing.framing == Framing::kChunked ? 1 : 0),
        "Transfer-Encoding only when re-chunked");
  if (framing.framing == Framing::kLength) {
    check(count(fields, "Content-Length") == 1, "one Content-Length");
  } else if (framing.framing != Framing::kNone) {
    check(count(fields, "Content-Length") == 0, "no Content-Length beside other framing");
  }
  Collect got;
  BodyDecoder body;
  body.start(fields);
  size_t used = body.decode(out, got);
  check(!body.failed(), "client body decodes");
  if (framing.framing == Framing::kClose) {
    body.finish();
    check(body.done(), "close-delimited body ends at close");
    used = out.size();
  }
  check(body.done(), "client message completes");
  check(used == out.size(), "nothing after the response");
  check(got.body == decoded, "client body is the decoded body");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool head_request = (data[0] & 1) != 0;
  const uint8_t client_minor = (data[0] & 2) != 0 ? 1 : 0;
  const bool keep_alive = (data[0] & 4) != 0;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);

  Buffer client;
  ResponseHead head;
  const HeadFields& fields = head.fields;
  for (int heads = 0;; ++heads) {
    if (heads > 8) return 0;
    HeadScanner scanner(HeadLimits{}, /*request=*/false);  // as proxy::Session
    if (readResponseHead(scanner, in, head_request, &head).progress != HeadProgress::kComplete) {
      return 0;  // the session answers 502 itself
    }
    in.remove_prefix(head.size);
    if (fields.status >= 200) break;
    if (client_minor >= 1 && !writeInterimHead(fields, client, kLimit)) return 0;  // 502
  }
  ClientFraming framing = chooseClientFraming(fields, head_request, client_minor, keep_alive);
  if (!writeClientHead(fields, framing, client_minor, client, kLimit)) return 0;
  Relay relay(framing.framing, client);
  BodyDecoder body;
  body.start(fields);
  // Body bytes arrive in small pieces, as from a socket.
  while (!body.done() && !in.empty()) {
    std::string_view piece = in.substr(0, 7);
    size_t n = body.decode(piece, relay);
    if (body.failed()) return 0;  // the session aborts: the VM sees a cut response
    check(n <= piece.size(), "consumed within input");
    in.remove_prefix(n);
  }
  // Then the agent closes.
  if (!body.done()) {
    body.finish();
    if (!body.done()) return 0;
  }
  encodeBodyEnd(framing.framing, client, kLimit);
  verifyClientSide(client.view(), head_request, framing, fields.status, relay.decoded);
  return 0;
}
