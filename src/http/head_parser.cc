#include "http/head_parser.h"

#include "http/header_names.h"

namespace nsmp::http {
namespace {

// The state of one parseHead() call; llhttp's `data` points to it.
struct Parse {
  HeadFields* out;
  HeadKind kind;
  bool in_value = false;
  bool complete = false;
};

Parse& self(llhttp_t* p) { return *static_cast<Parse*>(p->data); }

// Spans handed to callbacks may be split only at the end of the input, which
// never happens inside a complete head: extending the previous span is safe.
void extend(std::string_view& s, const char* at, size_t len) {
  s = s.empty() ? std::string_view(at, len) : std::string_view(s.data(), s.size() + len);
}

int onMethod(llhttp_t* p, const char* at, size_t len) {
  extend(self(p).out->method, at, len);
  return 0;
}
int onUrl(llhttp_t* p, const char* at, size_t len) {
  extend(self(p).out->target, at, len);
  return 0;
}
int onStatus(llhttp_t* p, const char* at, size_t len) {
  extend(self(p).out->reason, at, len);
  return 0;
}
int onHeaderField(llhttp_t* p, const char* at, size_t len) {
  Parse& s = self(p);
  HeadFields& h = *s.out;
  if (h.headers().empty() || s.in_value) {
    // HeadScanner counts fields first, so this is a second line of defence.
    if (!h.addHeader({at, len})) return -1;
  } else {
    extend(h.headers().back().name, at, len);
  }
  s.in_value = false;
  return 0;
}
int onHeaderValue(llhttp_t* p, const char* at, size_t len) {
  Parse& s = self(p);
  if (s.out->headers().empty()) return -1;  // llhttp never sends a value first
  s.in_value = true;
  extend(s.out->headers().back().value, at, len);
  return 0;
}
int onHeadersComplete(llhttp_t* p) {
  Parse& s = self(p);
  HeadFields& h = *s.out;
  h.major = p->http_major;
  h.minor = p->http_minor;
  h.method_id = p->method;
  h.status = p->status_code;
  h.upgrade = p->upgrade != 0;
  h.chunked = (p->flags & F_CHUNKED) != 0;
  h.has_content_length = (p->flags & F_CONTENT_LENGTH) != 0;
  h.content_length = h.has_content_length ? p->content_length : 0;
  // The proxy never switches protocols: Upgrade is a hop-by-hop header it
  // drops, so the message continues as plain HTTP (CONNECT is refused later).
  p->upgrade = 0;
  // RFC 9112 §6.3 (1): a response to HEAD, and any 1xx, 204 or 304 response,
  // ends with its head whatever its framing headers say. llhttp reads a body
  // after a 204 or 304 that has Content-Length or chunked: the bytes after
  // the head belong to no body then (found by the response fuzzer).
  const bool bodiless = s.kind == HeadKind::kResponseToHead ||
                        (s.kind == HeadKind::kResponse &&
                         (p->status_code < 200 || p->status_code == 204 || p->status_code == 304));
  return bodiless ? 1 : 0;
}
int onMessageComplete(llhttp_t* p) {
  Parse& s = self(p);
  s.complete = true;
  // Read here: llhttp resets its flags once this callback returns.
  s.out->keep_alive = llhttp_should_keep_alive(p) != 0;
  return HPE_PAUSED;  // the head was the whole message
}

const llhttp_settings_t* settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t st;
    llhttp_settings_init(&st);
    st.on_method = onMethod;
    st.on_url = onUrl;
    st.on_status = onStatus;
    st.on_header_field = onHeaderField;
    st.on_header_value = onHeaderValue;
    st.on_headers_complete = onHeadersComplete;
    st.on_message_complete = onMessageComplete;
    return st;
  }();
  return &s;
}

}  // namespace

llhttp_errno_t parseHead(std::string_view head, HeadKind kind, HeadFields* out) {
  *out = HeadFields{};
  Parse state{out, kind};
  llhttp_t parser;
  llhttp_init(&parser, kind == HeadKind::kRequest ? HTTP_REQUEST : HTTP_RESPONSE, settings());
  parser.data = &state;
  llhttp_errno_t err = llhttp_execute(&parser, head.data(), head.size());
  if (err == HPE_PAUSED && state.complete) err = HPE_OK;
  if (err != HPE_OK) return err;
  if (!state.complete) {
    // The head announced a body; the parser stopped at its first byte with
    // the head's flags intact.
    out->body_follows = true;
    out->keep_alive = llhttp_should_keep_alive(&parser) != 0;
    out->until_close = kind != HeadKind::kRequest && llhttp_message_needs_eof(&parser) != 0;
  }
  for (Header& h : out->headers()) h.value = trimOws(h.value);
  return HPE_OK;
}

}  // namespace nsmp::http
