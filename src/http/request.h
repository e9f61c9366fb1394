// The request side of the proxy's HTTP policy: what makes a request head
// acceptable, and the exact head the upstream receives.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/buffer.h"
#include "http/message.h"
#include "http/reply.h"

namespace nsmp::http {

enum class BodyKind : uint8_t { kNone, kLength, kChunked };

struct RequestFacts {
  BodyKind body = BodyKind::kNone;
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
// `keep_alive` is llhttp's reading of Connection and the version.
Reply analyzeRequest(const HeadFields& head, bool keep_alive, RequestFacts* facts);

// Maps a strict-mode llhttp error on a request head to the reply to send.
Reply replyForParseError(llhttp_errno_t err, std::string_view head);

struct UpstreamIdentity {
  std::string_view header;  // e.g. "X-Neutron-Network-ID"
  std::string_view value;
};

// Writes the head sent to the metadata agent: the client's end-to-end headers
// in order, none of the identity, hop-by-hop, framing or '_' headers, then
// exactly one identity header and one X-Forwarded-For with the peer address,
// "Connection: close" (unless `keep_alive`: the proxy reuses the connection,
// HTTP/1.1 requests only) and the body framing. Returns false if it does not
// fit in `limit` bytes or would exceed the field count or header block size
// of HeadLimits (the limits the proxy itself accepts): then the 431 to send.
Reply writeUpstreamHead(const HeadFields& head, const RequestFacts& facts,
                        const UpstreamIdentity& identity, std::string_view peer_ip, Buffer& out,
                        size_t limit, bool keep_alive = false);

}  // namespace nsmp::http
