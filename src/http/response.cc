#include "http/response.h"

#include <charconv>
#include <cstdio>

#include "http/header_names.h"

namespace nsmp::http {

ClientFraming chooseClientFraming(const MessageParser& upstream, int status, bool head_request,
                                  uint8_t client_minor, bool client_keep_alive) {
  ClientFraming f;
  f.keep_alive = client_keep_alive;
  if (head_request || status / 100 == 1 || status == 204 || status == 304) {
    f.framing = Framing::kNone;
  } else if (upstream.hasContentLength() && !upstream.chunked()) {
    f.framing = Framing::kLength;
  } else if (client_minor >= 1) {
    f.framing = Framing::kChunked;
  } else {
    f.framing = Framing::kClose;
    f.keep_alive = false;
  }
  return f;
}

bool writeClientHead(const HeadFields& head, const MessageParser& upstream,
                     const ClientFraming& framing, uint8_t client_minor, Buffer& out,
                     size_t limit) {
  const ConnectionTokens connection(head);
  size_t before = out.size();
  bool ok = true;
  auto put = [&](std::string_view s) {
    if (out.append(s, limit) != s.size()) ok = false;
  };
  char num[24];
  auto number = [&](uint64_t v) {
    auto [end, ec] = std::to_chars(num, num + sizeof num, v);
    return std::string_view(num, static_cast<size_t>(end - num));
  };
  put("HTTP/1.1 ");
  put(number(static_cast<uint64_t>(head.status)));
  put(" ");
  put(head.reason);
  put("\r\n");
  for (const Header& h : head.headers) {
    HeaderClass cls = classifyResponseHeader(h.name);
    // HEAD and 304 responses describe the representation they omit; their
    // Content-Length is metadata, passed on as the upstream sent it.
    bool meta_length = cls == HeaderClass::kContentLength && framing.framing == Framing::kNone &&
                       upstream.hasContentLength();
    if ((cls != HeaderClass::kForward && !meta_length) || connection.lists(h.name)) {
      continue;
    }
    put(h.name);
    put(": ");
    put(h.value);
    put("\r\n");
  }
  if (framing.framing == Framing::kLength) {
    put("Content-Length: ");
    put(number(upstream.contentLength()));
    put("\r\n");
  } else if (framing.framing == Framing::kChunked) {
    put("Transfer-Encoding: chunked\r\n");
  }
  if (!framing.keep_alive) {
    put("Connection: close\r\n");
  } else if (client_minor == 0) {
    put("Connection: keep-alive\r\n");
  }
  put("\r\n");
  if (!ok) {
    // Roll back a partial head so the caller can answer 502 instead.
    out.clear();
    (void)before;
  }
  return ok;
}

bool writeInterimHead(const HeadFields& head, Buffer& out, size_t limit) {
  const ConnectionTokens connection(head);
  bool ok = true;
  auto put = [&](std::string_view v) {
    if (out.append(v, limit) != v.size()) ok = false;
  };
  char status[8];
  int n = std::snprintf(status, sizeof status, "%d", head.status);
  put("HTTP/1.1 ");
  put({status, static_cast<size_t>(n)});
  put(" ");
  put(head.reason);
  put("\r\n");
  for (const Header& h : head.headers) {
    if (classifyResponseHeader(h.name) != HeaderClass::kForward || connection.lists(h.name)) {
      continue;
    }
    put(h.name);
    put(": ");
    put(h.value);
    put("\r\n");
  }
  put("\r\n");
  return ok;
}

void writeLocalReply(Reply r, bool keep_alive, Buffer& out) {
  const ReplyInfo& info = replyInfo(r);
  char body[160];
  int blen =
      std::snprintf(body, sizeof body, "%d %s (%s)\n", info.status, info.phrase, info.reason);
  char head[256];
  int hlen =
      std::snprintf(head, sizeof head,
                    "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: "
                    "%d\r\n%s\r\n",
                    info.status, info.phrase, blen, keep_alive ? "" : "Connection: close\r\n");
  out.append({head, static_cast<size_t>(hlen)}, 4096);
  out.append({body, static_cast<size_t>(blen)}, 4096);
}

void encodeBody(Framing f, std::string_view data, Buffer& out, size_t limit) {
  if (data.empty()) return;
  if (f == Framing::kChunked) {
    char size[24];
    int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    out.append({size, static_cast<size_t>(n)}, limit);
    out.append(data, limit);
    out.append("\r\n", limit);
  } else if (f != Framing::kNone) {
    out.append(data, limit);
  }
}

void encodeBodyEnd(Framing f, Buffer& out, size_t limit) {
  if (f == Framing::kChunked) out.append("0\r\n\r\n", limit);
}

}  // namespace nsmp::http
