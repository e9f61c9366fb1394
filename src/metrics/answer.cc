#include "metrics/answer.h"

#include <fmt/format.h>

#include "http/status_text.h"
#include "metrics/collect.h"
#include "metrics/text_format.h"

namespace nsmp::metrics {

Answer answer(const proxy::Worker& worker, std::string_view method, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  Answer a;
  if (path != "/metrics" && path != "/healthz") {
    a.status = 404;
    a.body = "not found: try /metrics or /healthz\n";
    return a;
  }
  if (method != "GET" && method != "HEAD") {
    a.status = 405;
    a.body = "only GET and HEAD\n";
    return a;
  }
  if (path == "/metrics") {
    a.content_type = kContentType;
    a.body = scrape(listenersOf(worker));
    return a;
  }
  std::vector<std::string> problems = checkHealth(listenersOf(worker));
  if (problems.empty()) {
    a.body = "ok\n";
    return a;
  }
  a.status = 503;
  for (const std::string& p : problems) a.body += p + "\n";
  return a;
}

void writeAnswer(const Answer& a, bool head_request, Buffer& out) {
  std::string head = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n"
      "{}Connection: close\r\n\r\n",
      a.status, http::statusText(a.status), a.content_type, a.body.size(),
      a.status == 405 ? "Allow: GET, HEAD\r\n" : "");
  out.appendWhole(head);
  if (!head_request) out.appendWhole(a.body);
}

}  // namespace nsmp::metrics
