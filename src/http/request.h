// The request side of the proxy's HTTP policy: what makes a request head
// acceptable, and the exact head the upstream receives.
//
// readRequestHead() is the one request-head pipeline of the binary -- scan
// (HeadScanner) -> parse (llhttp) -> analyse (analyzeRequest) -- called by
// the proxy, the metadata server, the unit tests and the fuzzers alike.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/buffer.h"
#include "http/body_decoder.h"
#include "http/head_parser.h"
#include "http/head_scanner.h"
#include "http/reply.h"

namespace nsmp::http {

struct RequestFacts {
  BodyFraming body = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = false;  // the client allows another request on this connection
  bool expect_continue = false;
  bool head_method = false;
  uint8_t minor = 1;
  std::string_view target;  // origin-form (absolute-form rewritten), or "*"
  std::string_view host;    // empty only for HTTP/1.0 without Host
  bool host_from_target = false;
};

// Validates a parsed request head (RFC 9112 §3, §6; RFC 9110 §7.2, §10.1.1)
// and fills `facts`. Returns Reply::kNone when the request may be forwarded.
Reply analyzeRequest(const HeadFields& head, RequestFacts* facts);

// Maps a strict-mode llhttp error on a request head to the reply to send.
Reply replyForParseError(llhttp_errno_t err, std::string_view head);
// Maps an error in a request body to the reply to send.
Reply replyForBodyError(BodyError err);

// One request head, parsed and checked. Views point into the caller's bytes.
struct RequestHead {
  HeadFields fields;
  RequestFacts facts;
  size_t size = 0;  // bytes of the head, its empty line included
};

enum class HeadProgress : uint8_t {
  kIncomplete,  // more bytes are needed
  kComplete,    // *head holds the request
  kRejected,    // the request is refused: reply says how
};
struct HeadStep {
  HeadProgress progress;
  Reply reply = Reply::kNone;
};

// `data` holds the bytes received so far on a connection, starting at the
// request; `scanner` remembers how far it got (reset it for the next request).
HeadStep readRequestHead(HeadScanner& scanner, std::string_view data, RequestHead* head);

struct UpstreamIdentity {
  std::string_view header;  // e.g. "X-Neutron-Network-ID"
  std::string_view value;
};

// Writes the head sent to the metadata agent: the client's end-to-end headers
// in order, none of the identity, hop-by-hop, framing or '_' headers, then
// exactly one identity header and one X-Forwarded-For with the peer address,
// "Connection: close" (unless `keep_alive`: the proxy reuses the connection,
// HTTP/1.1 requests only) and the body framing. Returns the 431 to send if it
// does not fit in `limit` bytes or would exceed kMaxFields or kMaxHeaderBlock
// (the limits the proxy itself accepts), else kNone.
//
// A chunked request is sent with a Content-Length (the metadata agent reads
// no chunked body), known only once its body is in: its head is left open
// -- the limits checked with room for that field -- and closeUpstreamHead()
// ends it.
Reply writeUpstreamHead(const HeadFields& head, const RequestFacts& facts,
                        const UpstreamIdentity& identity, std::string_view peer_ip, Buffer& out,
                        size_t limit, bool keep_alive = false);
void closeUpstreamHead(Buffer& out, uint64_t content_length, size_t limit);

}  // namespace nsmp::http
