#include "proxy/upstream_side.h"

#include <algorithm>

#include "http/limits.h"

namespace nsmp::proxy {
namespace {

// The output buffer holds a maximal rewritten head; a chunked request's
// body is added to it whole (the session raises the limit for that).
constexpr size_t kOutLimit = http::kMaxHead + size_t{8} * 1024 + 64;
// Response heads get the same limits as requests.
const http::HeadScanner kResponseScanner(http::HeadLimits{}, /*request=*/false);

}  // namespace

UpstreamSide::UpstreamSide(Events& events, UpstreamPool& pool)
    : events_(events),
      pool_(pool),
      out_(kOutLimit),
      in_(http::kMaxHead),
      scanner_(kResponseScanner) {}

UpstreamSide::~UpstreamSide() { release(false); }

Status UpstreamSide::connect(bool may_reuse, bool head_request) {
  Result<UpstreamConn*> conn = pool_.acquire(this, may_reuse);
  if (!conn) return std::move(conn).status();
  conn_ = *conn;
  state_ = State::kHead;
  head_request_ = head_request;
  got_bytes_ = keep_ = false;
  in_.clear();
  scanner_ = kResponseScanner;
  if (conn_->reused()) replay_.assign(out_.view());
  wake();
  return {};
}

void UpstreamSide::release(bool reusable) {
  if (conn_) {
    pool_.release(conn_, reusable);
    conn_ = nullptr;
  }
  state_ = State::kIdle;
  in_.release();
  if (!replay_.empty()) std::string().swap(replay_);
}

void UpstreamSide::resetOut() {
  out_.clear();
  out_.release();
  out_.setLimit(kOutLimit);
}

void UpstreamSide::wake() {
  if (conn_) conn_->stream().wake();
}

void UpstreamSide::onIo(event::Watcher& w, uint32_t events) {
  if (!conn_ || !stream().owns(w)) return;  // queued for a connection given back
  stream().onEvents(events);
  process();
  events_.afterUpstreamIo();
}

void UpstreamSide::process() {
  flushRequest();
  if (state_ == State::kHead) readHead();
  if (state_ == State::kBody) readBody();
}

void UpstreamSide::flushRequest() {
  if (!conn_ || out_.empty()) return;
  switch (stream().flush(out_)) {
    case net::Stream::Flush::kDone:
      events_.onUpstreamDrained();
      return;
    case net::Stream::Flush::kBlocked:
      return;
    case net::Stream::Flush::kFailed:
      if (retryStale()) return;
      // The agent closed its side: whatever it answered is still readable;
      // the rest of this request is abandoned.
      out_.clear();
      events_.onRequestAbandoned();
      return;
  }
}

// The agent closes after each response; when its FIN comes with the data, a
// complete response needs no read of the EOF. An incomplete one, once the
// agent hung up, is read on to the end.
void UpstreamSide::readHead() {
  while (state_ == State::kHead) {
    if (stream().hungUp()) stream().readToEofOnHangUp();
    if (stream().read(in_) > 0) got_bytes_ = true;
    if (in_.empty()) {
      if (!stream().eof()) return;
      if (retryStale()) return;
      return events_.onUpstreamRefused(http::Reply::kInvalidUpstreamResponse);
    }
    if (!takeHead()) return;
  }
}

bool UpstreamSide::takeHead() {
  http::ResponseHead head;  // views into in_, used before they are consumed
  http::HeadStep step = http::readResponseHead(scanner_, in_.view(), head_request_, &head);
  if (step.progress == http::HeadProgress::kIncomplete) {
    if (stream().eof() || in_.full()) {
      events_.onUpstreamRefused(http::Reply::kInvalidUpstreamResponse);
    }
    return false;
  }
  if (step.progress == http::HeadProgress::kRejected) {
    events_.onUpstreamRefused(step.reply);
    return false;
  }
  if (head.fields.status < 200) {
    events_.onInterimResponse(head.fields);
    if (state_ != State::kHead) return false;  // refused
    in_.consume(head.size);
    scanner_ = kResponseScanner;
    return true;
  }
  body_.start(head.fields);
  keep_ = head.fields.keep_alive;
  state_ = State::kBody;
  if (!events_.onResponseHead(head.fields)) return false;
  in_.consume(head.size);
  if (body_.done()) finishResponse();
  return false;  // the body, if any, is readBody()'s
}

void UpstreamSide::readBody() {
  while (state_ == State::kBody) {
    if (in_.empty()) {
      if (stream().hungUp()) stream().readToEofOnHangUp();
      stream().read(in_);
      if (in_.empty()) {
        if (!stream().eof()) return;
        body_.finish();
        if (body_.done()) return finishResponse();
        return events_.onUpstreamAborted("upstream_closed_mid_response");
      }
    }
    const size_t room = events_.responseBodyRoom();
    if (room == 0) return;  // the VM reads slowly: the session wakes this side
    in_.consume(body_.decode({in_.data(), std::min(in_.size(), room)}, *this));
    if (state_ != State::kBody) return;  // the session gave up meanwhile
    if (body_.failed()) return events_.onUpstreamAborted("invalid_upstream_body");
    if (body_.done()) return finishResponse();
  }
}

void UpstreamSide::onBodyData(std::string_view data) { events_.onResponseBody(data); }

void UpstreamSide::finishResponse() {
  state_ = State::kDone;
  // Kept only if nothing is left over: a byte after the response's end would
  // otherwise answer the next request.
  const bool reusable =
      keep_ && in_.empty() && out_.empty() && !stream().eof() && !stream().hungUp();
  events_.onResponseDone(reusable);
}

// A kept connection that the agent closed before answering: the request (a
// GET or HEAD without body, see Session) goes again on a fresh connection.
bool UpstreamSide::retryStale() {
  if (!conn_ || !conn_->reused() || got_bytes_ || state_ != State::kHead) return false;
  std::string replay = std::move(replay_);
  release(false);
  out_.clear();
  out_.append(replay);
  events_.onUpstreamStale();
  return true;
}

}  // namespace nsmp::proxy
