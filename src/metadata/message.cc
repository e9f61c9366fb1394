#include "metadata/message.h"

#include <strings.h>

#include <fmt/format.h>

namespace nsmp::metadata {

std::vector<std::string_view> Request::headerValues(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0)
      values.push_back(value);
  }
  return values;
}

Response textResponse(int status, std::string body, std::string reason) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  if (!r.body.empty() && r.body.back() != '\n') r.body += '\n';
  r.reason = std::move(reason);
  return r;
}

std::string serializeResponse(const Response& response, bool headOnly, bool close,
                              bool http10KeepAlive) {
  std::string out =
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", response.status,
                  statusText(response.status), response.contentType, response.body.size());
  for (const auto& [name, value] : response.headers) out += fmt::format("{}: {}\r\n", name, value);
  if (close) {
    out += "Connection: close\r\n";
  } else if (http10KeepAlive) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (!headOnly) out += response.body;
  return out;
}

}  // namespace nsmp::metadata
