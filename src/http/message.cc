#include "http/message.h"

#include "http/header_names.h"

namespace nsmp::http {

void HeadFields::clear() {
  method = target = reason = {};
  status = 0;
  major = minor = 1;
  method_id = 0;
  upgrade = false;
  headers.clear();
}

namespace {
MessageParser* self(llhttp_t* p) { return static_cast<MessageParser*>(p->data); }
// Spans handed to callbacks may be split only at the end of the input, which
// never happens inside a complete head: extending the previous span is safe.
void extend(std::string_view& s, const char* at, size_t len) {
  s = s.empty() ? std::string_view(at, len) : std::string_view(s.data(), s.size() + len);
}
}  // namespace

const llhttp_settings_t* MessageParser::settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t st;
    llhttp_settings_init(&st);
    st.on_method = onMethod;
    st.on_url = onUrl;
    st.on_status = onStatus;
    st.on_header_field = onHeaderField;
    st.on_header_value = onHeaderValue;
    st.on_headers_complete = onHeadersComplete;
    st.on_body = onBody;
    st.on_message_complete = onMessageComplete;
    return st;
  }();
  return &s;
}

MessageParser::MessageParser(llhttp_type_t type) {
  llhttp_init(&parser_, type, settings());
  parser_.data = this;
}

void MessageParser::reset(bool no_body) {
  llhttp_reset(&parser_);
  parser_.data = this;
  no_body_ = no_body;
  complete_ = false;
  keep_alive_ = false;
  content_length_ = 0;
  in_value_ = false;
}

int MessageParser::onMethod(llhttp_t* p, const char* at, size_t len) {
  extend(self(p)->head_->method, at, len);
  return 0;
}
int MessageParser::onUrl(llhttp_t* p, const char* at, size_t len) {
  extend(self(p)->head_->target, at, len);
  return 0;
}
int MessageParser::onStatus(llhttp_t* p, const char* at, size_t len) {
  extend(self(p)->head_->reason, at, len);
  return 0;
}
int MessageParser::onHeaderField(llhttp_t* p, const char* at, size_t len) {
  MessageParser* m = self(p);
  auto& hs = m->head_->headers;
  if (hs.empty() || m->in_value_) {
    hs.push_back(Header{{at, len}, {}});
  } else {
    extend(hs.back().name, at, len);
  }
  m->in_value_ = false;
  return 0;
}
int MessageParser::onHeaderValue(llhttp_t* p, const char* at, size_t len) {
  MessageParser* m = self(p);
  m->in_value_ = true;
  extend(m->head_->headers.back().value, at, len);
  return 0;
}
int MessageParser::onHeadersComplete(llhttp_t* p) {
  MessageParser* m = self(p);
  HeadFields* h = m->head_;
  h->major = p->http_major;
  h->minor = p->http_minor;
  h->method_id = p->method;
  h->status = p->status_code;
  h->upgrade = p->upgrade != 0;
  // The proxy never switches protocols: Upgrade is a hop-by-hop header it
  // drops, so the message continues as plain HTTP (CONNECT is refused earlier).
  p->upgrade = 0;
  m->content_length_ = p->content_length;
  // RFC 9112 §6.3 (1): a response to HEAD, and any 1xx, 204 or 304 response,
  // ends with its head whatever its framing headers say. llhttp reads a body
  // after a 204 or 304 that has Content-Length or chunked: the bytes after
  // the head belong to no body then (found by the response fuzzer).
  const bool bodiless_status =
      p->type == HTTP_RESPONSE &&
      (p->status_code < 200 || p->status_code == 204 || p->status_code == 304);
  return m->no_body_ || bodiless_status ? 1 : 0;
}
int MessageParser::onBody(llhttp_t* p, const char* at, size_t len) {
  self(p)->sink_->onBodyData({at, len});
  return 0;
}
int MessageParser::onMessageComplete(llhttp_t* p) {
  MessageParser* m = self(p);
  m->complete_ = true;
  m->keep_alive_ = llhttp_should_keep_alive(p) != 0;
  return HPE_PAUSED;  // stop here: what follows belongs to the next message
}

llhttp_errno_t MessageParser::parseHead(std::string_view head, HeadFields* out) {
  head_ = out;
  out->clear();
  llhttp_errno_t err = llhttp_execute(&parser_, head.data(), head.size());
  if (err == HPE_PAUSED && complete_) err = HPE_OK;
  // RFC 9112 §5: the field value excludes leading and trailing whitespace;
  // llhttp leaves the trailing part in the span.
  for (Header& h : out->headers) h.value = trimOws(h.value);
  // Callbacks ran before on_headers_complete could set keep-alive for a
  // message that has a body; compute it now from the head's flags.
  if (err == HPE_OK && !complete_) keep_alive_ = llhttp_should_keep_alive(&parser_) != 0;
  return err;
}

MessageParser::Fed MessageParser::feedBody(std::string_view data, BodySink& sink) {
  if (complete_ || data.empty()) return {0, HPE_OK};
  sink_ = &sink;
  llhttp_errno_t err = llhttp_execute(&parser_, data.data(), data.size());
  if (err == HPE_OK) return {data.size(), HPE_OK};
  if (err == HPE_PAUSED && complete_) {
    return {static_cast<size_t>(llhttp_get_error_pos(&parser_) - data.data()), HPE_OK};
  }
  return {0, err};
}

llhttp_errno_t MessageParser::finish(BodySink& sink) {
  if (complete_) return HPE_OK;
  sink_ = &sink;
  llhttp_errno_t err = llhttp_finish(&parser_);
  if (err == HPE_PAUSED && complete_) return HPE_OK;
  if (err == HPE_OK && !complete_) return HPE_INVALID_EOF_STATE;
  return err;
}

}  // namespace nsmp::http
