// What the metrics endpoint answers to one request: GET (or HEAD) /metrics is
// the page, /healthz "ok" or 503 with one line per problem; anything else is
// 404, a method other than GET and HEAD 405. A query string is ignored.
#pragma once

#include <string>
#include <string_view>

#include "base/buffer.h"
#include "proxy/worker.h"

namespace nsmp::metrics {

struct Answer {
  int status = 200;
  std::string_view content_type = "text/plain; charset=utf-8";
  std::string body;
};

Answer answer(const proxy::Worker& worker, std::string_view method, std::string_view target);

// The whole response, "Connection: close" (one request per connection);
// without the body for HEAD (RFC 9110 §9.3.2). Sets out's limit to fit.
void writeAnswer(const Answer& a, bool head_request, Buffer& out);

}  // namespace nsmp::metrics
