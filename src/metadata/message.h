// A request as the metadata server sees it (after HTTP parsing) and the
// answer it gives, independent of any socket, so the whole behaviour of the
// server -- identity lookup plus Nova's two trees -- is one pure function,
// MetadataService::handle(), that the unit tests drive directly.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/status_text.h"

namespace nsmp::metadata {

struct Request {
  std::string method;                                        // "GET", "HEAD", "POST", ...
  std::string target;                                        // origin-form, may carry "?query"
  std::vector<std::pair<std::string, std::string>> headers;  // in arrival order
  std::string body;

  // All values of a header, matched case-insensitively (RFC 9110 section 5.1).
  std::vector<std::string_view> headerValues(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string contentType = "text/plain; charset=UTF-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra, e.g. Allow
  std::string reason;    // a fixed word for the access log ("ok", "no_instance", ...)
  std::string instance;  // uuid of the instance answered for, "" when none (access log)
};

Response textResponse(int status, std::string body, std::string reason);
// The reason phrase of a status code ("Not Found").
using http::statusText;

// The bytes of `response` on the wire: HTTP/1.1 status line, Content-Type,
// Content-Length (also for HEAD, where the body is left out: RFC 9110
// section 9.3.2), the extra headers, and "Connection: close" when `close`
// (or "Connection: keep-alive" for an HTTP/1.0 client that asked for it).
std::string serializeResponse(const Response& response, bool headOnly, bool close,
                              bool http10KeepAlive);

}  // namespace nsmp::metadata
