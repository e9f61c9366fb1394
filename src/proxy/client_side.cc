#include "proxy/client_side.h"

#include <algorithm>

#include "base/log_escape.h"
#include "http/limits.h"
#include "http/response.h"

namespace nsmp::proxy {
namespace {

// The output buffer holds a maximal response head, or body bytes re-framed
// (each span grows by its chunk line).
constexpr size_t kOutLimit = http::kMaxHead + size_t{8} * 1024 + 64;
constexpr size_t kMaxLoggedLine = 1024;

// The request line as the access log shows it: up to the first CR or LF,
// with control characters, quotes, backslashes and non-ASCII bytes escaped,
// so that no byte sequence from a VM can forge a log line or break quoting.
void escapeRequestLine(std::string_view head, std::string* out) {
  std::string_view line = head.substr(0, std::min(head.find_first_of("\r\n"), kMaxLoggedLine));
  out->clear();
  log::appendEscaped(line, out);
}

}  // namespace

ClientSide::ClientSide(event::Loop& loop, Events& events, uint64_t max_body)
    : events_(events),
      max_body_(max_body),
      stream_(loop, this),
      in_(http::kMaxHead),
      out_(kOutLimit) {
  stream_.readToEofOnHangUp();
}

Status ClientSide::open(net::Fd fd) {
  return stream_.open(std::move(fd), net::Stream::Out::kAlways);
}

void ClientSide::onIo(event::Watcher&, uint32_t events) {
  stream_.onEvents(events);
  process();
  if (state_ != State::kClosed) events_.afterClientIo();
}

void ClientSide::process() {
  // Each step either finishes, or waits for a new event: no loop needed
  // beyond the head -> body hand-over.
  if (state_ == State::kIdle || state_ == State::kHead) readHead();
  if (state_ == State::kBody) readBody();
  if (state_ == State::kClosed) return;
  flush();
  if (state_ == State::kClosing && out_.empty()) {
    stream_.shutdownWrite();
    in_.release();
    if (stream_.drainToEof()) close();
  }
}

void ClientSide::readHead() {
  stream_.read(in_);
  if (in_.empty()) {
    if (stream_.eof()) close();  // closed between requests: nothing to answer
    return;
  }
  if (state_ == State::kIdle) {
    state_ = State::kHead;
    events_.onRequestStarted();
  }
  http::RequestHead head;  // views into in_, used before they are consumed
  http::HeadStep step = http::readRequestHead(scanner_, in_.view(), &head);
  switch (step.progress) {
    case http::HeadProgress::kIncomplete:
      if (stream_.eof()) close();  // a truncated head: the VM went away
      return;
    case http::HeadProgress::kRejected:
      return events_.onRequestRefused(step.reply);
    case http::HeadProgress::kComplete:
      break;
  }
  escapeRequestLine(in_.view().substr(0, head.size), &request_line_);
  body_.start(head.facts.body, head.facts.content_length, max_body_);
  if (body_.failed()) {  // a Content-Length over max_body, refused from the head
    return events_.onRequestRefused(http::replyForBodyError(body_.error()));
  }
  state_ = body_.done() ? State::kRead : State::kBody;
  events_.onRequestHead(head);
  // The session may have refused the request (state changed): the head stays
  // in the log line, the rest of the input is not read.
  if (state_ != State::kBody && state_ != State::kRead) return;
  in_.consume(head.size);
  scanner_.reset();
  if (state_ == State::kRead) events_.onRequestDone();
}

void ClientSide::readBody() {
  while (state_ == State::kBody) {
    if (in_.empty()) {
      stream_.read(in_);
      if (in_.empty()) {
        if (stream_.eof()) events_.onClientGone("client_closed_in_body");
        return;
      }
    }
    const size_t room = events_.requestBodyRoom();
    if (room == 0) return;  // the agent reads slowly: the session wakes this side
    in_.consume(body_.decode({in_.data(), std::min(in_.size(), room)}, *this));
    if (body_.failed()) return events_.onRequestRefused(http::replyForBodyError(body_.error()));
    if (body_.done()) {
      state_ = State::kRead;
      return events_.onRequestDone();
    }
  }
}

void ClientSide::onBodyData(std::string_view data) { events_.onRequestBody(data); }

void ClientSide::flush() {
  if (out_.empty()) return;
  size_t sent = 0;
  net::Stream::Flush result = stream_.flush(out_, &sent);
  sent_ += sent;
  if (result == net::Stream::Flush::kFailed) return events_.onClientGone("client_write_failed");
  if (result == net::Stream::Flush::kDone) {
    out_.release();
    if (state_ != State::kClosing) events_.onClientDrained();
  }
}

void ClientSide::nextRequest() {
  state_ = State::kIdle;
  request_line_.clear();
  body_ = http::BodyDecoder{};
  if (in_.empty()) {
    in_.release();
  } else {
    wake();  // a pipelined request is in already
  }
}

void ClientSide::stopReading() {
  if (state_ == State::kIdle || state_ == State::kHead || state_ == State::kBody) {
    state_ = State::kRead;
  }
}

std::string_view ClientSide::requestLine() {
  if (request_line_.empty() && !in_.empty()) escapeRequestLine(in_.view(), &request_line_);
  return request_line_;
}

void ClientSide::closeAfterFlush() {
  if (state_ == State::kClosed || state_ == State::kClosing) return;
  state_ = State::kClosing;
  wake();
}

void ClientSide::close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  stream_.close();
  in_.release();
  out_.release();
  events_.onClientClosed();
}

}  // namespace nsmp::proxy
