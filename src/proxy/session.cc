#include "proxy/session.h"

#include <algorithm>

#include "base/log.h"
#include "http/limits.h"
#include "proxy/rate_limiter.h"
#include "proxy/upstream_pool.h"

namespace nsmp::proxy {
namespace {

// Re-framing adds a chunk line around each decoded span: feeding this much
// less than the free room keeps the output within its buffer.
constexpr size_t kFramingSlack = 2 * http::kMaxChunkOverhead;
constexpr Millis kRetryDelay{250};
constexpr Millis kLinger{1000};

size_t roomFor(const Buffer& b) { return b.room() > kFramingSlack ? b.room() - kFramingSlack : 0; }

}  // namespace

Session::Session(const SessionContext& context, SessionOwner& owner, const net::PeerAddress& peer,
                 bool counted_source)
    : ctx_(context),
      owner_(owner),
      timer_(context.loop, this),
      peer_(peer),
      client_(context.loop, *this, context.config.max_body),
      upstream_(*this, context.upstreams),
      chunked_body_(context.config.max_body),
      counted_source_(counted_source) {}

Session::~Session() = default;

void Session::start(net::Fd client, http::Reply refuse) {
  if (Status s = client_.open(std::move(client)); !s) {
    log::error("cannot watch a client connection: {}", s.message());
    close();
    return;
  }
  wait(Wait::kRequest);  // the first request: timeout http-request runs from accept
  if (refuse != http::Reply::kNone) reply(refuse);
  client_.wake();  // data often arrives with the connection
}

void Session::drain() {
  draining_ = true;
  if (client_.idle()) close();
}

void Session::close() {
  if (closed_) return;
  client_.close();  // calls onClientClosed()
}

// -- the VM's side ------------------------------------------------------------

void Session::onRequestStarted() {
  request_start_ = ctx_.loop.now();
  wait(Wait::kRequest);
}

void Session::onRequestHead(const http::RequestHead& head) {
  const http::HeadFields& h = head.fields;
  const http::RequestFacts& facts = head.facts;
  const ListenerConfig& cfg = ctx_.config;
  keep_alive_ = facts.keep_alive && !draining_;
  upstream_keep_ = cfg.upstream_keepalive > 0 && facts.minor >= 1 && !draining_;
  // Only a request that may be sent twice (RFC 9110 §9.2.2) goes over a kept
  // connection: if the agent closed it meanwhile, the request is repeated.
  may_reuse_ = upstream_keep_ && facts.body == http::BodyFraming::kNone &&
               (h.method_id == HTTP_GET || h.method_id == HTTP_HEAD);
  client_minor_ = facts.minor;
  head_request_ = facts.head_method;
  request_body_ = facts.body;
  request_done_ = facts.body == http::BodyFraming::kNone;
  if (ctx_.rate_limiter && ctx_.rate_limiter->overLimit(peer_, ctx_.loop.now())) {
    if (!request_done_) keep_alive_ = false;  // its body is not read
    request_done_ = true;
    return reply(http::Reply::kRateLimited);
  }
  char ip[INET6_ADDRSTRLEN];
  size_t ip_len = peer_.formatIp(ip);
  if (http::Reply r = http::writeUpstreamHead(h, facts, ctx_.identity, {ip, ip_len},
                                              upstream_.out(), upstream_keep_);
      r != http::Reply::kNone) {
    upstream_.out().clear();
    return reply(r);
  }
  if (facts.expect_continue && client_minor_ >= 1) {
    // RFC 9110 §10.1.1: the proxy answers the expectation itself, so the body
    // starts flowing while the upstream connection is made.
    client_.out().append("HTTP/1.1 100 Continue\r\n\r\n");
    expect_answered_ = true;
    client_.wake();
  }
  attempts_ = 0;
  // The metadata agent reads no chunked body: it is read whole first, then
  // sent with its length (onRequestDone).
  if (request_body_ != http::BodyFraming::kChunked) connectUpstream();
}

// A Content-Length body streams to the agent as it comes; a chunked one is
// held whole (at most max_body: the decoder stops beyond).
size_t Session::requestBodyRoom() {
  if (response_started_ || body_abandoned_) return 0;  // refused, or the agent stopped reading
  // The decoder refuses a chunked body past max_body, the buffer's limit.
  if (request_body_ == http::BodyFraming::kChunked) return SIZE_MAX;
  return roomFor(upstream_.out());
}

void Session::onRequestBody(std::string_view data) {
  if (request_body_ == http::BodyFraming::kChunked) {
    chunked_body_.append(data);
    return;
  }
  upstream_.out().append(data);
  upstream_.wake();
}

void Session::onRequestDone() {
  if (response_started_) return;  // answered already (a 429, or a refusal)
  request_done_ = true;
  if (request_body_ != http::BodyFraming::kChunked) return upstream_.wake();
  upstream_.growOut(chunked_body_.size());
  http::closeUpstreamHead(upstream_.out(), chunked_body_.size());
  upstream_.out().append(chunked_body_.view());
  chunked_body_.release();
  connectUpstream();
}

void Session::onRequestRefused(http::Reply r) { reply(r); }

void Session::onClientGone(const char* why) { abort(why); }

void Session::onClientDrained() {
  if (response_done_) return finishRequest();
  upstream_.wake();  // room for more of the response
}

void Session::onClientClosed() {
  closed_ = true;
  upstream_.release(false);
  timer_.cancel();
  owner_.sessionClosed(this);  // defers this object's deletion
}

void Session::afterClientIo() { updateTimer(); }

// -- the agent's side -----------------------------------------------------------

void Session::connectUpstream() {
  ++attempts_;
  Status s = upstream_.connect(may_reuse_, head_request_);
  if (s) return;
  ++ctx_.counters.upstream_connect_failures;
  log::debug("upstream {} attempt {}: {}", ctx_.config.upstream_socket, attempts_, s.message());
  if (attempts_ < ctx_.config.connect_attempts) return wait(Wait::kRetry);
  reply(http::Reply::kUpstreamUnavailable);
}

void Session::onInterimResponse(const http::HeadFields& h) {
  // Interim responses go on to HTTP/1.1 clients, except a 100 Continue when
  // the proxy already answered the client's Expect itself.
  const bool ours = h.status == 100 && expect_answered_;
  if (client_minor_ >= 1 && !ours) {
    if (!http::writeInterimHead(h, client_.out())) {
      client_.out().clear();
      return reply(http::Reply::kInvalidUpstreamResponse);
    }
    client_.wake();
  }
}

bool Session::onResponseHead(const http::HeadFields& h) {
  client_framing_ =
      http::chooseClientFraming(h, head_request_, client_minor_, keep_alive_ && !draining_);
  if (!request_done_) client_framing_.keep_alive = false;  // body left unread
  if (!http::writeClientHead(h, client_framing_, client_minor_, client_.out())) {
    client_.out().clear();
    reply(http::Reply::kInvalidUpstreamResponse);
    return false;
  }
  response_started_ = true;
  response_status_ = h.status;
  client_.wake();
  return true;
}

size_t Session::responseBodyRoom() { return roomFor(client_.out()); }

void Session::onResponseBody(std::string_view data) {
  http::encodeBody(client_framing_.framing, data, client_.out());
  client_.wake();
}

void Session::onResponseDone(bool reusable) {
  http::encodeBodyEnd(client_framing_.framing, client_.out());
  response_done_ = true;
  upstream_.release(upstream_keep_ && reusable && request_done_ && !draining_);
  if (client_.outEmpty()) return finishRequest();
  client_.wake();
}

void Session::onUpstreamRefused(http::Reply r) { reply(r); }

void Session::onUpstreamAborted(const char* why) { abort(why); }

void Session::onUpstreamStale() {
  may_reuse_ = false;
  connectUpstream();
}

void Session::onRequestAbandoned() {
  // The agent closed its side: the rest of the request body is not read, so
  // the connection cannot carry another request.
  keep_alive_ = false;
  request_done_ = true;
  body_abandoned_ = true;
}

void Session::onUpstreamDrained() {
  if (!request_done_) client_.wake();  // room for more of the request body
}

void Session::afterUpstreamIo() { updateTimer(); }

// -- replies, ends, timers ----------------------------------------------------

void Session::reply(http::Reply r) {
  upstream_.release(false);
  const http::ReplyInfo& info = http::replyInfo(r);
  if (response_started_) return abort(info.reason);
  ++ctx_.counters.local_replies[static_cast<size_t>(r)];
  const bool keep = http::replyKeepsConnection(r) && keep_alive_ && request_done_ && !draining_;
  // A HEAD gets no body, also when the reply comes before its head was whole
  // (408) or parsed (400): the VM said HEAD in the first bytes it sent.
  const bool head = head_request_ || client_.requestLine().starts_with("HEAD ");
  http::writeLocalReply(r, keep, head, client_.out());
  response_status_ = info.status;
  reason_ = info.reason;
  response_started_ = response_done_ = true;
  client_framing_.keep_alive = keep;
  keep_alive_ = keep;
  if (!keep) request_done_ = true;
  client_.stopReading();
  client_.wake();  // flush; then finishRequest() decides what follows
}

void Session::abort(const char* why) {
  if (request_start_ != event::TimePoint{} || response_started_) {
    logAccess(response_status_, why);
  }
  close();
}

void Session::finishRequest() {
  upstream_.release(false);
  logAccess(response_status_, reason_);
  const bool keep = keep_alive_ && client_framing_.keep_alive && request_done_ && !draining_ &&
                    !client_.peerClosed();
  resetRequest();
  if (!keep) {
    client_.closeAfterFlush();
    return wait(Wait::kLinger);
  }
  client_.nextRequest();
  if (client_.idle()) wait(Wait::kKeepAlive);
}

void Session::resetRequest() {
  request_start_ = {};
  client_framing_ = {};
  request_body_ = http::BodyFraming::kNone;
  attempts_ = 0;
  head_request_ = keep_alive_ = request_done_ = expect_answered_ = false;
  response_started_ = response_done_ = false;
  upstream_keep_ = may_reuse_ = false;
  response_status_ = 0;
  reason_ = "-";
  chunked_body_.release();
  upstream_.resetOut();
  client_.resetBytesSent();
  body_abandoned_ = false;
}

// Which timeout applies now follows from where the two halves are.
void Session::updateTimer() {
  if (closed_) return;
  switch (client_.state()) {
    case ClientSide::State::kClosing:
      return wait(Wait::kLinger);
    case ClientSide::State::kIdle:  // kRequest (first) or kKeepAlive, armed already
    case ClientSide::State::kHead:  // kRequest, armed at the first byte
    case ClientSide::State::kClosed:
      return;
    case ClientSide::State::kBody:
    case ClientSide::State::kRead:
      break;
  }
  if (waiting_ == Wait::kRetry) return;                 // between connection attempts
  if (!client_.outEmpty()) return wait(Wait::kClient);  // the VM is not reading
  if (client_.state() == ClientSide::State::kBody && requestBodyRoom() > 0) {
    return wait(Wait::kClient);  // more of the body is due from the VM
  }
  wait(Wait::kServer);
}

void Session::wait(Wait w) {
  // The head deadline is total, not per read: a VM that trickles bytes
  // (slowloris) still gets its 408 on time. Lingering is bounded likewise.
  if (w == waiting_ && (w == Wait::kRequest || w == Wait::kLinger)) return;
  waiting_ = w;
  const Timeouts& t = ctx_.config.timeouts;
  switch (w) {
    case Wait::kNone:
      return timer_.cancel();
    case Wait::kRequest:
      return timer_.arm(t.http_request);
    case Wait::kKeepAlive:
      return timer_.arm(t.http_keep_alive);
    case Wait::kRetry:
      return timer_.arm(std::min(kRetryDelay, t.connect));
    case Wait::kServer:
      return timer_.arm(t.server);
    case Wait::kClient:
      return timer_.arm(t.client);
    case Wait::kLinger:
      return timer_.arm(std::min(kLinger, t.client));
  }
}

void Session::onTimer(event::Timer&) {
  Wait w = waiting_;
  waiting_ = Wait::kNone;
  switch (w) {
    case Wait::kKeepAlive:
    case Wait::kLinger:
      return close();
    case Wait::kRequest:
      reply(http::Reply::kRequestTimeout);
      break;
    case Wait::kRetry:
      connectUpstream();
      break;
    case Wait::kServer:
      if (response_started_) return abort("upstream_timeout");
      reply(http::Reply::kUpstreamTimeout);
      break;
    case Wait::kClient:
      if (response_started_) return abort("client_timeout");
      reply(http::Reply::kRequestTimeout);
      break;
    case Wait::kNone:
      return;
  }
  updateTimer();
}

void Session::logAccess(int status, const char* reason) {
  Counters& c = ctx_.counters;
  ++c.requests;
  if (status >= 100 && status < 600) ++c.responses_by_class[static_cast<size_t>(status / 100)];
  const uint64_t bytes = client_.bytesSent();
  c.bytes_to_client += bytes;
  // Tenths of a millisecond, formatted from integers (no floating point).
  int64_t us = 0;
  if (request_start_ != event::TimePoint{}) {
    us = std::chrono::duration_cast<std::chrono::microseconds>(ctx_.loop.now() - request_start_)
             .count();
  }
  c.observeDuration(static_cast<uint64_t>(us));
  const int64_t tenths = us / 100;
  std::string_view line = client_.requestLine();
  log::info("{}access {} \"{}\" {} {} {}.{}ms {}", ctx_.config.log_tag, peer_.ipPort(),
            line.empty() ? "-" : line, status, bytes, tenths / 10, tenths % 10, reason);
}

}  // namespace nsmp::proxy
