#include "http/response.h"

#include <charconv>
#include <cstdio>

#include "http/head_writer.h"
#include "http/header_names.h"
#include "http/status_text.h"

namespace nsmp::http {

bool relayableResponse(const HeadFields& head) {
  return head.major == 1 && head.status >= 100 && head.status <= 599 && head.status != 101;
}

HeadStep readResponseHead(HeadScanner& scanner, std::string_view data, bool head_request,
                          ResponseHead* head) {
  switch (scanner.scan(data)) {
    case HeadScanner::State::kIncomplete:
      return {HeadProgress::kIncomplete};
    case HeadScanner::State::kError: {
      const Reply e = scanner.error();
      const bool too_large =
          e == Reply::kUriTooLong || e == Reply::kHeadersTooLarge || e == Reply::kTooManyHeaders;
      return {HeadProgress::kRejected,
              too_large ? Reply::kUpstreamHeadTooLarge : Reply::kInvalidUpstreamResponse};
    }
    case HeadScanner::State::kComplete:
      break;
  }
  head->size = scanner.headEnd();
  const HeadKind kind = head_request ? HeadKind::kResponseToHead : HeadKind::kResponse;
  if (parseHead(data.substr(0, head->size), kind, &head->fields) != HPE_OK ||
      !relayableResponse(head->fields)) {
    return {HeadProgress::kRejected, Reply::kInvalidUpstreamResponse};
  }
  return {HeadProgress::kComplete};
}

ClientFraming chooseClientFraming(const HeadFields& upstream, bool head_request,
                                  uint8_t client_minor, bool client_keep_alive) {
  ClientFraming f;
  f.keep_alive = client_keep_alive;
  const int status = upstream.status;
  if (head_request || status / 100 == 1 || status == 204 || status == 304) {
    f.framing = Framing::kNone;
  } else if (upstream.has_content_length && !upstream.chunked) {
    f.framing = Framing::kLength;
  } else if (client_minor >= 1) {
    f.framing = Framing::kChunked;
  } else {
    f.framing = Framing::kClose;
    f.keep_alive = false;
  }
  return f;
}

namespace {

void statusLine(HeadWriter& w, int status, std::string_view reason) {
  char num[8];
  auto [end, ec] = std::to_chars(num, num + sizeof num, status);
  w.put("HTTP/1.1 ").put({num, static_cast<size_t>(end - num)}).put(" ").put(reason);
  w.endStartLine();
}

}  // namespace

bool writeClientHead(const HeadFields& head, const ClientFraming& framing, uint8_t client_minor,
                     Buffer& out) {
  const ConnectionTokens connection(head);
  HeadWriter w(out);
  statusLine(w, head.status, head.reason);
  for (const Header& h : head.headers()) {
    HeaderClass cls = classifyResponseHeader(h.name);
    // HEAD and 304 responses describe the representation they omit; their
    // Content-Length is metadata, passed on as the upstream sent it. A 204
    // must not have one (RFC 9110 §8.6).
    bool meta_length = cls == HeaderClass::kContentLength && framing.framing == Framing::kNone &&
                       head.has_content_length && head.status != 204;
    if ((cls != HeaderClass::kForward && !meta_length) || connection.lists(h.name)) {
      continue;
    }
    w.field(h.name, h.value);
  }
  if (framing.framing == Framing::kLength) {
    w.field("Content-Length", head.content_length);
  } else if (framing.framing == Framing::kChunked) {
    w.field("Transfer-Encoding", "chunked");
  }
  if (!framing.keep_alive) {
    w.field("Connection", "close");
  } else if (client_minor == 0) {
    w.field("Connection", "keep-alive");
  }
  // On false the caller discards the buffer and answers 502 instead.
  return w.finish() == Reply::kNone;
}

bool writeInterimHead(const HeadFields& head, Buffer& out) {
  const ConnectionTokens connection(head);
  HeadWriter w(out);
  statusLine(w, head.status, head.reason);
  for (const Header& h : head.headers()) {
    if (classifyResponseHeader(h.name) != HeaderClass::kForward || connection.lists(h.name)) {
      continue;
    }
    w.field(h.name, h.value);
  }
  return w.finish() == Reply::kNone;
}

void writeLocalReply(Reply r, bool keep_alive, bool head_request, Buffer& out) {
  const ReplyInfo& info = replyInfo(r);
  char body[160];
  int blen = std::snprintf(body, sizeof body, "%d %s (%s)\n", info.status, statusText(info.status),
                           info.reason);
  char head[256];
  int hlen = std::snprintf(head, sizeof head,
                           "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: "
                           "%d\r\n%s\r\n",
                           info.status, statusText(info.status), blen,
                           keep_alive ? "" : "Connection: close\r\n");
  out.append({head, static_cast<size_t>(hlen)});
  if (!head_request) out.append({body, static_cast<size_t>(blen)});
}

void encodeBody(Framing f, std::string_view data, Buffer& out) {
  if (data.empty()) return;
  if (f == Framing::kChunked) {
    char size[24];
    auto [end, ec] = std::to_chars(size, size + sizeof size - 2, data.size(), 16);
    *end++ = '\r';
    *end++ = '\n';
    out.append({size, static_cast<size_t>(end - size)});
    out.append(data);
    out.append("\r\n");
  } else if (f != Framing::kNone) {
    out.append(data);
  }
}

void encodeBodyEnd(Framing f, Buffer& out) {
  if (f == Framing::kChunked) out.append("0\r\n\r\n");
}

}  // namespace nsmp::http
