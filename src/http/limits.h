// Every part of an HTTP/1 message the binary reads has a limit, and they are
// all here. A message over one of them is refused (requests: the status and
// reason word of reply.h; responses from the agent: 502), never buffered.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nsmp::http {

// Request line or status line, CRLF excluded (414 uri_too_long).
inline constexpr uint32_t kMaxStartLine = 8 * 1024;
// Header field lines, CRLFs included; the trailer section of a chunked body
// has the same limit (431 headers_too_large / trailers_too_large).
inline constexpr uint32_t kMaxHeaderBlock = 32 * 1024;
// Header fields; also trailer fields (431 too_many_headers / trailers_too_large).
// Python's http.client, which the metadata agent uses, stops at 100 too.
inline constexpr uint32_t kMaxFields = 100;
// One chunk-size line: hex digits, extensions, CRLF (400 chunk_line_too_long).
inline constexpr uint32_t kMaxChunkLine = 4 * 1024;
// The most bytes a whole head can take (start line, fields, CRLFs).
inline constexpr size_t kMaxHead = kMaxStartLine + kMaxHeaderBlock + 1024;

}  // namespace nsmp::http
