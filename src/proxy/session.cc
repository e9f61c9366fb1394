#include "proxy/session.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstdio>

#include "base/log.h"
#include "net/socket.h"
#include "proxy/listener.h"
#include "proxy/worker.h"

namespace nsmp::proxy {
namespace {

using http::kMaxHead;
// Cap of each outgoing buffer; also holds a maximal rewritten head.
constexpr size_t kOutLimit = kMaxHead + 8 * 1024;
// Re-framing may add a few bytes per decoded span (chunk size line); feeding
// this much less than the free room guarantees the output always fits.
constexpr size_t kFramingSlack = 64;
constexpr Millis kRetryDelay{250};
constexpr Millis kLinger{1000};
constexpr size_t kMaxLoggedLine = 1024;

// Response heads get the same limits as requests (HeadLimits' defaults).
const http::HeadScanner kResponseScanner(http::HeadLimits{}, /*request=*/false);

}  // namespace

// A Content-Length body streams to the agent as it comes; a chunked one is
// held whole (it is at most max_body: the decoder stops beyond) and sent with
// its length, since the metadata agent reads no chunked body.
void Session::RequestBodySink::onBodyData(std::string_view d) {
  if (s->request_body_ == http::BodyFraming::kChunked) {
    s->chunked_body_.append(d, s->listener_.config().max_body);
  } else {
    s->upstream_out_.append(d, kOutLimit + kFramingSlack);
  }
}

void Session::ResponseBodySink::onBodyData(std::string_view d) {
  http::encodeBody(s->client_framing_.framing, d, s->client_out_, kOutLimit + kFramingSlack);
}

Session::Session(Listener& listener, net::Fd client, const net::PeerAddress& peer,
                 bool counted_source)
    : listener_(listener),
      loop_(listener.worker().loop()),
      timer_(loop_, this),
      peer_(peer),
      counted_source_(counted_source) {
  client_.fd = client.release();
  client_.handler = this;
  request_sink_.s = this;
  response_sink_.s = this;
}

Session::~Session() {
  if (client_.fd >= 0) ::close(client_.fd);
  // close() ran before deletion and gave the upstream connection back.
}

void Session::start(http::Reply refuse) {
  if (Status s = loop_.add(client_, EPOLLIN | EPOLLOUT | EPOLLRDHUP); !s) {
    log::error("cannot watch client connection: {}", s.message());
    close();
    return;
  }
  wait(Wait::kRequest);        // the first request: timeout http-request runs from accept
  client_rx_.readable = true;  // data often arrives with the connection
  if (refuse != http::Reply::kNone) localReply(refuse);
  pump();
}

void Session::drain() {
  draining_ = true;
  if (phase_ == Phase::kHead && client_in_.empty()) close();
}

void Session::onIo(event::Watcher& w, uint32_t events) {
  bool in = (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
  bool hup = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
  if (&w == &client_) {
    client_rx_.readable |= in;
    client_rx_.hup |= hup;
  } else {
    upstream_rx_.readable |= in;
    upstream_rx_.hup |= hup;
  }
  pump();
}

void Session::onTimer(event::Timer&) {
  Wait w = waiting_;
  waiting_ = Wait::kNone;
  switch (w) {
    case Wait::kKeepAlive:
    case Wait::kLinger:
      close();
      return;
    case Wait::kRequest:
      localReply(http::Reply::kRequestTimeout);
      break;
    case Wait::kRetry:
      connectUpstream();
      break;
    case Wait::kServer:
      if (response_started_) return abort("upstream_timeout");
      localReply(http::Reply::kUpstreamTimeout);
      break;
    case Wait::kClient:
      if (response_started_) return abort("client_timeout");
      localReply(http::Reply::kRequestTimeout);
      break;
    case Wait::kNone:
      return;
  }
  pump();
}

void Session::wait(Wait w) {
  // The head deadline is total, not per read: a VM that trickles bytes
  // (slowloris) still gets its 408 on time.
  if (w == waiting_ && w == Wait::kRequest) return;
  waiting_ = w;
  const Timeouts& t = listener_.config().timeouts;
  switch (w) {
    case Wait::kNone:
      timer_.cancel();
      return;
    case Wait::kKeepAlive:
      timer_.arm(t.http_keep_alive);
      return;
    case Wait::kRequest:
      timer_.arm(t.http_request);
      return;
    case Wait::kRetry:
      timer_.arm(std::min(kRetryDelay, t.connect));
      return;
    case Wait::kServer:
      timer_.arm(t.server);
      return;
    case Wait::kClient:
      timer_.arm(t.client);
      return;
    case Wait::kLinger:
      timer_.arm(std::min(kLinger, t.client));
      return;
  }
}

// Runs the state machine until nothing moves: every step either transfers
// bytes, changes phase, or leaves `moved_` as it was.
void Session::pump() {
  uint64_t last = ~0ull;
  while (phase_ != Phase::kClosed && moved_ != last) {
    last = moved_;
    switch (phase_) {
      case Phase::kHead:
        stepHead();
        break;
      case Phase::kBody:
        stepBody();
        break;
      case Phase::kConnecting:
        return;
      case Phase::kExchange:
        stepExchange();
        break;
      case Phase::kClosing:
        stepClosing();
        break;
      case Phase::kClosed:
        return;
    }
  }
}

void Session::setPhase(Phase p) {
  phase_ = p;
  ++moved_;
}

// Reads what `side` has into `buf` (never past `limit`). Edge-triggered: a
// side stays `readable` until recv() says EAGAIN -- or until a short read has
// drained it, which saves the recv() that would only say EAGAIN (new data
// raises a new edge); after a hang-up it reads on to EOF.
bool Session::readSide(int fd, Buffer& buf, size_t limit, Inbound& side, bool to_eof_on_hup) {
  bool got = false;
  while (fd >= 0 && side.readable && !side.eof) {
    size_t room = buf.prepare(4096, limit);
    if (room == 0) break;
    ssize_t n = ::recv(fd, buf.tail(), room, 0);
    if (n > 0) {
      buf.commit(static_cast<size_t>(n));
      got = true;
      ++moved_;
      if (static_cast<size_t>(n) < room && !(side.hup && to_eof_on_hup)) side.readable = false;
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      side.eof = true;  // closed, or reset: nothing more will come
      ++moved_;
    } else if (errno != EINTR) {
      side.readable = false;
    }
  }
  return got;
}

bool Session::readClient(size_t limit) {
  return readSide(client_.fd, client_in_, limit, client_rx_, true);
}

void Session::stepHead() {
  readClient(kMaxHead);
  if (client_in_.empty()) {
    if (client_rx_.eof) close();  // closed between requests: nothing to answer
    return;
  }
  if (request_start_ == event::TimePoint{}) {
    request_start_ = loop_.now();
    wait(Wait::kRequest);
  }
  http::RequestHead head;  // views into client_in_, used before this returns
  http::HeadStep step = http::readRequestHead(scanner_, client_in_.view(), &head);
  switch (step.progress) {
    case http::HeadProgress::kComplete:
      onHead(head);
      return;
    case http::HeadProgress::kRejected:
      localReply(step.reply);
      return;
    case http::HeadProgress::kIncomplete:
      if (client_rx_.eof) close();  // truncated head: the VM went away
      return;
  }
}

// The request line as the access log shows it: up to the first CR or LF,
// with control characters, quotes and backslashes escaped, so that no byte
// sequence from a VM can start a forged log line or break the quoting.
void Session::rememberRequestLine(std::string_view head) {
  std::string_view line = head.substr(0, std::min(head.find_first_of("\r\n"), kMaxLoggedLine));
  request_line_.clear();
  for (char c : line) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      char esc[5];
      std::snprintf(esc, sizeof esc, "\\x%02x", u);
      request_line_ += esc;
    } else {
      request_line_ += c;
    }
  }
}

void Session::onHead(const http::RequestHead& head) {
  rememberRequestLine(client_in_.view().substr(0, head.size));
  const http::HeadFields& h = head.fields;
  const http::RequestFacts& facts = head.facts;
  const ListenerConfig& cfg = listener_.config();
  if (facts.body == http::BodyFraming::kLength && facts.content_length > cfg.max_body) {
    return localReply(http::Reply::kBodyTooLarge);
  }
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
  if (RateLimiter* rl = listener_.rateLimiter(); rl && rl->overLimit(peer_, loop_.now())) {
    client_in_.consume(head.size);
    if (!request_done_) keep_alive_ = false;  // its body is not read
    request_done_ = true;
    return localReply(http::Reply::kRateLimited);
  }
  char ip[INET6_ADDRSTRLEN];
  size_t ip_len = peer_.formatIp(ip);
  if (http::Reply r = http::writeUpstreamHead(h, facts, listener_.identity(), {ip, ip_len},
                                              upstream_out_, kOutLimit, upstream_keep_);
      r != http::Reply::kNone) {
    upstream_out_.clear();
    return localReply(r);
  }
  client_in_.consume(head.size);
  scanner_.reset();
  request_body_decoder_.start(facts.body, facts.content_length, cfg.max_body);
  pumpRequestBody();
  if (phase_ != Phase::kHead) return;  // the body was refused
  if (facts.expect_continue && client_minor_ >= 1) {
    // RFC 9110 §10.1.1: the proxy answers the expectation itself, so the body
    // starts flowing while the upstream connection is made.
    client_out_.append("HTTP/1.1 100 Continue\r\n\r\n", kOutLimit);
    expect_answered_ = true;
  }
  attempts_ = 0;
  if (!request_done_ && request_body_ == http::BodyFraming::kChunked) {
    setPhase(Phase::kBody);  // the agent is asked once the body is whole
    return;
  }
  connectUpstream();
}

void Session::stepBody() {
  pumpRequestBody();
  if (phase_ != Phase::kBody) return;
  flushClient();  // a 100 Continue
  if (phase_ != Phase::kBody) return;
  if (request_done_) return connectUpstream();
  wait(Wait::kClient);  // more of the body is due from the VM
}

void Session::connectUpstream() {
  ++attempts_;
  Result<UpstreamConn*> conn = listener_.upstreams().acquire(this, may_reuse_);
  if (!conn) {
    ++listener_.counters().upstream_connect_failures;
    log::debug("upstream {} attempt {}: {}", listener_.config().upstream_socket, attempts_,
               conn.status().message());
    if (attempts_ < listener_.config().connect_attempts) {
      setPhase(Phase::kConnecting);
      wait(Wait::kRetry);
      return;
    }
    return localReply(http::Reply::kUpstreamUnavailable);
  }
  upstream_ = *conn;
  upstream_rx_ = {};
  upstream_got_ = false;
  if (upstream_->reused()) replay_.assign(upstream_out_.view());
  scanner_ = kResponseScanner;
  setPhase(Phase::kExchange);
}

void Session::pumpRequestBody() {
  while (!request_done_) {
    if (client_in_.empty() && !readClient(Buffer::kBlockSize)) {
      if (client_rx_.eof) return abort("client_closed_in_body");
      return;
    }
    size_t feed = client_in_.size();
    if (request_body_ != http::BodyFraming::kChunked) {
      size_t used = upstream_out_.size();
      if (used + 2 * kFramingSlack >= kOutLimit) return;  // upstream is slow: wait
      feed = std::min(feed, kOutLimit - used - 2 * kFramingSlack);
    }
    size_t used = request_body_decoder_.decode({client_in_.data(), feed}, request_sink_);
    client_in_.consume(used);
    ++moved_;
    if (request_body_decoder_.failed()) {
      return localReply(http::replyForBodyError(request_body_decoder_.error()));
    }
    if (request_body_decoder_.done()) {
      body_bytes_ = request_body_decoder_.bodyBytes();
      if (request_body_ == http::BodyFraming::kChunked) {
        const size_t limit = kOutLimit + chunked_body_.size();
        http::closeUpstreamHead(upstream_out_, chunked_body_.size(), limit);
        upstream_out_.append(chunked_body_.view(), limit);
        chunked_body_.release();
      }
      request_done_ = true;
    }
  }
}

bool Session::flushUpstream() {
  while (upstreamFd() >= 0 && !upstream_out_.empty()) {
    ssize_t n = ::send(upstreamFd(), upstream_out_.data(), upstream_out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      upstream_out_.consume(static_cast<size_t>(n));
      ++moved_;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!upstream_->wants_out) {
        upstream_->wants_out = true;
        (void)loop_.modify(upstream_->watcher(), EPOLLIN | EPOLLOUT | EPOLLRDHUP);
      }
      return false;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (retryStale()) return false;
      // The agent closed its side: whatever it answered is still readable;
      // the rest of this request body is abandoned.
      upstream_out_.clear();
      keep_alive_ = false;
      request_done_ = true;
      upstream_rx_.readable = true;
      ++moved_;
    }
  }
  if (upstream_out_.empty() && request_done_) upstream_out_.release();
  return true;
}

// The agent closes after each response; when its FIN comes with the data, a
// complete response needs no recv() of the EOF. Only a response that is not
// complete yet reads on (see processResponse).
void Session::readUpstream() {
  // A whole head, up to the limits (a head over them is refused at once);
  // then a block at a time, as the VM takes the body.
  const size_t limit = response_started_ ? Buffer::kBlockSize : kMaxHead;
  if (!response_done_ && readSide(upstreamFd(), upstream_in_, limit, upstream_rx_, false)) {
    upstream_got_ = true;
  }
}

void Session::processResponse() {
  if (!response_started_ && upstream_rx_.eof && upstream_in_.empty() && retryStale()) return;
  while (!response_started_) {
    if (upstream_in_.empty() && !upstream_rx_.eof) return;
    http::ResponseHead head;  // views into upstream_in_, used before this returns
    http::HeadStep step =
        http::readResponseHead(scanner_, upstream_in_.view(), head_request_, &head);
    switch (step.progress) {
      case http::HeadProgress::kIncomplete:
        if (upstream_rx_.eof) return localReply(http::Reply::kInvalidUpstreamResponse);
        return;
      case http::HeadProgress::kRejected:
        return localReply(step.reply);
      case http::HeadProgress::kComplete:
        if (!onResponseHead(head)) return;
        break;
    }
  }
  while (!response_done_ && !upstream_in_.empty()) {
    size_t used = client_out_.size();
    if (used + 2 * kFramingSlack >= kOutLimit) return;  // the VM reads slowly: wait
    size_t feed = std::min(upstream_in_.size(), kOutLimit - used - 2 * kFramingSlack);
    size_t n = response_body_decoder_.decode({upstream_in_.data(), feed}, response_sink_);
    upstream_in_.consume(n);
    ++moved_;
    if (response_body_decoder_.failed()) return abort("invalid_upstream_body");
    if (response_body_decoder_.done()) completeResponse();
  }
  if (!response_done_ && upstream_rx_.eof && upstream_in_.empty()) {
    response_body_decoder_.finish();
    if (!response_body_decoder_.done()) return abort("upstream_closed_mid_response");
    completeResponse();
  }
}

void Session::completeResponse() {
  http::encodeBodyEnd(client_framing_.framing, client_out_, kOutLimit + kFramingSlack);
  response_done_ = true;
  // Kept only if both sides said keep-alive and nothing is left over: a byte
  // after the response's end would otherwise answer the next request.
  releaseUpstream(upstream_keep_ && upstream_says_keep_ && request_done_ && upstream_out_.empty() &&
                  upstream_in_.empty() && !upstream_rx_.eof && !upstream_rx_.hup && !draining_);
  ++moved_;
}

bool Session::onResponseHead(const http::ResponseHead& head) {
  const http::HeadFields& h = head.fields;
  if (h.status < 200) {
    // Interim responses go on to HTTP/1.1 clients, except a 100 Continue when
    // the proxy already answered the client's Expect itself.
    bool ours = h.status == 100 && expect_answered_;
    if (client_minor_ >= 1 && !ours && !http::writeInterimHead(h, client_out_, kOutLimit)) {
      client_out_.clear();
      localReply(http::Reply::kInvalidUpstreamResponse);
      return false;
    }
    upstream_in_.consume(head.size);
    scanner_ = kResponseScanner;
    ++moved_;
    return true;
  }
  client_framing_ =
      http::chooseClientFraming(h, head_request_, client_minor_, keep_alive_ && !draining_);
  if (!request_done_) client_framing_.keep_alive = false;  // body left unread
  if (!http::writeClientHead(h, client_framing_, client_minor_, client_out_, kOutLimit)) {
    client_out_.clear();
    localReply(http::Reply::kInvalidUpstreamResponse);
    return false;
  }
  upstream_says_keep_ = h.keep_alive;
  response_body_decoder_.start(h);
  upstream_in_.consume(head.size);
  response_started_ = true;
  response_status_ = h.status;
  if (response_body_decoder_.done()) completeResponse();
  ++moved_;
  return true;
}

bool Session::flushClient() {
  while (!client_out_.empty()) {
    ssize_t n = ::send(client_.fd, client_out_.data(), client_out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      client_out_.consume(static_cast<size_t>(n));
      response_bytes_ += static_cast<size_t>(n);
      ++moved_;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return false;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      abort("client_write_failed");
      return false;
    }
  }
  client_out_.release();
  return true;
}

void Session::stepExchange() {
  pumpRequestBody();
  if (phase_ != Phase::kExchange) return;
  flushUpstream();
  readUpstream();
  processResponse();
  if (phase_ != Phase::kExchange) return;
  if (!response_done_ && upstreamFd() >= 0 && upstream_rx_.hup && !upstream_rx_.readable &&
      !upstream_rx_.eof) {
    upstream_rx_.readable = true;  // hung up, response incomplete: read on to EOF
    ++moved_;
  }
  bool drained = flushClient();
  if (phase_ != Phase::kExchange) return;
  if (drained && response_done_) return finishRequest();
  rearmExchangeTimer();
}

void Session::rearmExchangeTimer() {
  if (!client_out_.empty()) {
    wait(Wait::kClient);  // the VM is not reading its response
  } else if (!request_done_ && upstream_out_.size() + 2 * kFramingSlack < kOutLimit) {
    wait(Wait::kClient);  // more request body is due from the VM
  } else {
    wait(Wait::kServer);
  }
}

void Session::finishRequest() {
  closeUpstream();
  upstream_in_.release();
  upstream_out_.release();
  logAccess(response_status_, reply_reason_);
  bool keep =
      keep_alive_ && client_framing_.keep_alive && request_done_ && !draining_ && !client_rx_.eof;
  resetRequest();
  if (!keep) return startClosing();
  setPhase(Phase::kHead);
  scanner_ = http::HeadScanner();
  if (client_in_.empty()) {
    client_in_.release();
    wait(Wait::kKeepAlive);
  }
}

void Session::resetRequest() {
  request_line_.clear();
  request_start_ = {};
  body_bytes_ = response_bytes_ = 0;
  client_framing_ = {};
  request_body_ = http::BodyFraming::kNone;
  attempts_ = 0;
  head_request_ = keep_alive_ = request_done_ = expect_answered_ = false;
  response_started_ = response_done_ = false;
  response_status_ = 0;
  reply_reason_ = "-";
  upstream_keep_ = may_reuse_ = upstream_says_keep_ = false;
  chunked_body_.release();
  if (!replay_.empty()) std::string().swap(replay_);
}

void Session::localReply(http::Reply r) {
  closeUpstream();
  if (response_started_) return abort(http::replyInfo(r).reason);
  const http::ReplyInfo& info = http::replyInfo(r);
  ++listener_.counters().local_replies[static_cast<size_t>(r)];
  bool keep = http::replyKeepsConnection(r) && keep_alive_ && request_done_ && !draining_;
  http::writeLocalReply(r, keep, head_request_, client_out_);
  if (request_line_.empty() && !client_in_.empty()) rememberRequestLine(client_in_.view());
  response_status_ = info.status;
  reply_reason_ = info.reason;
  response_started_ = response_done_ = true;
  client_framing_.keep_alive = keep;
  keep_alive_ = keep;
  if (!keep) request_done_ = true;
  setPhase(Phase::kExchange);  // flush, then finishRequest() decides what follows
}

void Session::startClosing() {
  setPhase(Phase::kClosing);
  wait(Wait::kLinger);
}

// After the last reply: flush it, half-close, and read until the VM closes or
// the linger timer fires. Closing with unread input would make the kernel
// send RST, which can destroy the reply before the VM reads it.
void Session::stepClosing() {
  if (!flushClient()) return;
  if (phase_ != Phase::kClosing) return;
  if (!shut_wr_) {
    ::shutdown(client_.fd, SHUT_WR);
    shut_wr_ = true;
    client_in_.release();
  }
  char sink[4096];
  while (client_rx_.readable) {
    ssize_t n = ::recv(client_.fd, sink, sizeof sink, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      return close();
    }
    if (n < 0 && errno != EINTR) client_rx_.readable = false;
  }
}

void Session::abort(const char* why) {
  if (request_start_ != event::TimePoint{} || response_started_) {
    logAccess(response_status_, why);
  }
  close();
}

void Session::closeUpstream() { releaseUpstream(false); }

void Session::releaseUpstream(bool reusable) {
  if (!upstream_) return;
  listener_.upstreams().release(upstream_, reusable);
  upstream_ = nullptr;
}

// A kept connection that the agent closed before answering: the request (a
// GET or HEAD without body, see onHead) goes again on a fresh connection.
bool Session::retryStale() {
  if (!upstream_ || !upstream_->reused() || upstream_got_ || response_started_) return false;
  releaseUpstream(false);
  upstream_out_.clear();
  upstream_out_.append(replay_, kOutLimit);
  may_reuse_ = false;
  connectUpstream();
  ++moved_;
  return true;
}

void Session::close() {
  if (phase_ == Phase::kClosed) return;
  closeUpstream();
  timer_.cancel();
  if (client_.fd >= 0) {
    ::close(client_.fd);
    client_.fd = -1;
  }
  client_in_.release();
  client_out_.release();
  upstream_in_.release();
  upstream_out_.release();
  chunked_body_.release();
  phase_ = Phase::kClosed;
  ++moved_;
  listener_.sessionClosed(this);  // hands this object to deferred deletion
}

void Session::logAccess(int status, const char* reason) {
  Counters& c = listener_.counters();
  ++c.requests;
  if (status >= 100 && status < 600) ++c.responses_by_class[status / 100];
  c.bytes_to_client += response_bytes_;
  // Tenths of a millisecond, formatted from integers (no floating point).
  int64_t tenths = 0;
  if (request_start_ != event::TimePoint{}) {
    tenths = std::chrono::duration_cast<std::chrono::microseconds>(loop_.now() - request_start_)
                 .count() /
             100;
  }
  log::info("{}access {} \"{}\" {} {} {}.{}ms {}", listener_.config().log_tag, peer_.ipPort(),
            request_line_.empty() ? "-" : request_line_, status, response_bytes_, tenths / 10,
            tenths % 10, reason);
}

}  // namespace nsmp::proxy
