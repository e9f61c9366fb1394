// Local replies: every status the proxy answers itself, with the fixed reason
// word that the access log and the reply body carry. One table, one place.
#pragma once

#include <cstdint>

namespace nsmp::http {

enum class Reply : uint8_t {
  kNone = 0,
  // 400: the request is malformed or ambiguous; the connection is closed.
  kInvalidRequest,
  kContentLengthAndTransferEncoding,
  kInvalidTransferEncoding,
  kInvalidContentLength,
  kObsFold,
  kBareCrOrLf,
  kInvalidHeaderName,
  kInvalidHeaderValue,
  kInvalidChunk,
  kChunkLineTooLong,
  kTransferEncodingOnHttp10,
  kMissingHost,
  kDuplicateHost,
  kForeignAbsoluteUri,
  kConnectMethod,
  kHttp09,
  kUnsupportedVersion,       // 505
  kUriTooLong,               // 414
  kHeadersTooLarge,          // 431
  kTooManyHeaders,           // 431
  kTrailersTooLarge,         // 431
  kBodyTooLarge,             // 413
  kRequestTimeout,           // 408
  kExpectationFailed,        // 417
  kRateLimited,              // 429
  kTooManyConnections,       // 429
  kUpstreamUnavailable,      // 503
  kUpstreamTimeout,          // 504
  kInvalidUpstreamResponse,  // 502
  kUpstreamHeadTooLarge,     // 502
  kCount,
};

struct ReplyInfo {
  int status;          // its reason phrase: http::statusText()
  const char* reason;  // fixed word for logs and counters
};

const ReplyInfo& replyInfo(Reply r);

// A local reply keeps the connection only when the request itself was well
// framed (so the next request can be found): only 429 qualifies.
inline bool replyKeepsConnection(Reply r) { return r == Reply::kRateLimited; }

}  // namespace nsmp::http
