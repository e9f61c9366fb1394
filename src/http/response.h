// The response side: how the upstream's response is framed for the client,
// and the head the client receives.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/buffer.h"
#include "http/head_parser.h"
#include "http/head_scanner.h"
#include "http/reply.h"
#include "http/request.h"

namespace nsmp::http {

// How a message body is delimited on the wire we write.
enum class Framing : uint8_t { kNone, kLength, kChunked, kClose };

struct ClientFraming {
  Framing framing = Framing::kNone;
  bool keep_alive = false;
};

// Whether a parsed upstream head may be relayed at all: HTTP/1.x with a
// status from 100 to 599, and not 101 (the proxy never upgrades). llhttp
// takes any three digits, and "HTTP/1.1 \r\n" as status 0.
bool relayableResponse(const HeadFields& head);

// One response head from the agent, parsed. Views point into the caller's bytes.
struct ResponseHead {
  HeadFields fields;
  size_t size = 0;  // bytes of the head, its empty line included
};

// The response-head pipeline: scan, parse (a response to HEAD has no body),
// check it may be relayed. Rejected: kUpstreamHeadTooLarge when the head
// breaks a limit of limits.h, else kInvalidUpstreamResponse.
HeadStep readResponseHead(HeadScanner& scanner, std::string_view data, bool head_request,
                          ResponseHead* head);

// Decides the framing toward the client (RFC 9112 §6.3): a body with a
// Content-Length keeps it; a chunked or close-delimited body is re-chunked for
// an HTTP/1.1 client and delimited by close for an HTTP/1.0 one. HEAD, 1xx,
// 204 and 304 responses carry no body.
ClientFraming chooseClientFraming(const HeadFields& upstream, bool head_request,
                                  uint8_t client_minor, bool client_keep_alive);

// Writes the response head for the client: the upstream's status and
// end-to-end headers, minus hop-by-hop and framing headers, plus the chosen
// framing and Connection. Returns false if it does not fit in `limit`, or
// would break the limits the proxy itself applies (limits.h):
// the caller answers 502 instead.
bool writeClientHead(const HeadFields& head, const ClientFraming& framing, uint8_t client_minor,
                     Buffer& out, size_t limit);

// An interim (1xx) response relayed to the client: status line and end-to-end
// headers only (RFC 9110 §15.2: a proxy forwards 1xx it did not ask for).
// Same limits as writeClientHead.
bool writeInterimHead(const HeadFields& head, Buffer& out, size_t limit);

// A complete local reply (status line, headers, short text body). The reply
// to a HEAD request has no body (RFC 9110 §9.3.2): its Content-Length says
// what a GET would have got.
void writeLocalReply(Reply r, bool keep_alive, bool head_request, Buffer& out);

// Re-encodes body bytes with the outgoing framing.
void encodeBody(Framing f, std::string_view data, Buffer& out, size_t limit);
void encodeBodyEnd(Framing f, Buffer& out, size_t limit);

}  // namespace nsmp::http
