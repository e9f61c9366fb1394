#include "metadata/connection.h"

#include <cerrno>

#include "base/log.h"
#include "base/log_escape.h"
#include "http/request.h"
#include "metadata/server.h"

namespace nsmp::metadata {
namespace {

// Answers queued beyond this stop the processing of pipelined requests until
// the client reads: a client that never reads cannot make us hold more.
constexpr size_t kMaxOutput = size_t{256} * 1024;

// The most a request can occupy in memory: the head limits of
// http::HeadLimits plus the body limit, plus room for chunk framing.
size_t inputLimit(const ServerConfig& config) {
  http::HeadLimits head;
  return head.max_start_line + head.max_header_block + config.maxBody + 4096;
}

std::string_view firstValue(const Request& r, std::string_view name) {
  auto values = r.headerValues(name);
  return values.empty() ? std::string_view("-") : values[0];
}

}  // namespace

Connection::Connection(Server& server)
    : server_(server),
      stream_(server.loop(), this),
      timer_(server.loop(), this),
      in_(inputLimit(server.config())),
      out_(kMaxOutput) {
  stream_.readToEofOnHangUp();
}

Connection::~Connection() = default;

Status Connection::start(net::Fd fd) {
  rearmTimer();
  // A UNIX socket raises an EPOLLOUT edge each time the peer reads: asked
  // for only while an answer is blocked.
  net::Stream::Out out = server_.config().front == Front::kNova ? net::Stream::Out::kAlways
                                                                : net::Stream::Out::kWhenBlocked;
  if (Status s = stream_.open(std::move(fd), out); !s) return s;
  stream_.wake();  // data often arrives with the connection
  return {};
}

void Connection::onIo(event::Watcher&, uint32_t events) {
  if (phase_ == Phase::kClosed) return;
  if (events & EPOLLERR) {
    close();
    return;
  }
  stream_.onEvents(events);
  drive();
}

void Connection::drive() {
  // Bounded rounds: each either frees input room or drains output.
  for (int round = 0; round < 64 && phase_ != Phase::kClosed; ++round) {
    bool atLimit = readSome();
    Stop stop = process();
    flushOutput();
    if (phase_ == Phase::kClosed) return;
    bool drained = out_.empty();
    if (phase_ == Phase::kClosing) {
      if (drained) linger();
      break;
    }
    if (stop == Stop::kBlockedOnOutput) {
      if (drained) continue;
      break;  // EPOLLOUT brings us back
    }
    if (stream_.eof()) {
      // A partial request can never complete; what was answered is written first.
      phase_ = Phase::kClosing;
      if (drained) linger();
      break;
    }
    if (!atLimit) break;
  }
  rearmTimer();
}

bool Connection::readSome() {
  if (phase_ == Phase::kClosing) return false;
  stream_.read(in_);
  return in_.full();
}

// The last answer is out: FIN, then what the client still sends is dropped
// until it closes (closing with unread input would send a RST that can
// destroy the answer). Bounded by the idle timer; not while shutting down.
void Connection::linger() {
  stream_.shutdownWrite();
  in_.clear();
  in_.release();
  if (stream_.drainToEof() || server_.shuttingDown()) close();
}

Connection::Stop Connection::process() {
  while (phase_ == Phase::kHead || phase_ == Phase::kBody) {
    if (out_.size() >= kMaxOutput) return Stop::kBlockedOnOutput;
    if (phase_ == Phase::kHead) {
      if (in_.empty()) {
        if (closeWhenIdle_) phase_ = Phase::kClosing;
        return Stop::kNeedInput;
      }
      if (!timingRequest_) {
        timingRequest_ = true;
        started_ = server_.loop().now();
      }
      if (!startRequest()) return Stop::kNeedInput;
      continue;
    }
    // kBody: the decoder reads Content-Length or chunked framing and stops at
    // the end of this message, leaving pipelined bytes in in_.
    in_.consume(body_.decode(in_.view(), *this));
    if (body_.failed()) {
      replyHttpError(http::replyForBodyError(body_.error()));
      return Stop::kNeedInput;
    }
    if (!body_.done()) return Stop::kNeedInput;
    finishRequest();
  }
  return Stop::kNeedInput;
}

bool Connection::startRequest() {
  http::RequestHead head;  // views into in_, copied below before they are consumed
  http::HeadStep step = http::readRequestHead(scanner_, in_.view(), &head);
  if (step.progress == http::HeadProgress::kIncomplete) return false;
  if (step.progress == http::HeadProgress::kRejected) {
    replyHttpError(step.reply);
    return false;
  }
  const http::RequestFacts& facts = head.facts;
  request_ = Request{};
  request_.method = std::string(head.fields.method);
  request_.target = std::string(facts.target);
  for (const http::Header& h : head.fields.headers()) {
    request_.headers.emplace_back(std::string(h.name), std::string(h.value));
  }
  keepAlive_ = facts.keep_alive;
  http10_ = facts.minor == 0;
  headOnly_ = facts.head_method;
  in_.consume(head.size);
  body_.start(facts.body, facts.content_length, server_.config().maxBody);
  if (body_.failed()) {
    replyHttpError(http::Reply::kBodyTooLarge);
    return false;
  }
  if (body_.done()) {
    finishRequest();
    return true;
  }
  // RFC 9110 section 10.1.1: the client waits for this before sending the body.
  if (facts.expect_continue) queue("HTTP/1.1 100 Continue\r\n\r\n");
  phase_ = Phase::kBody;
  return true;
}

void Connection::onBodyData(std::string_view data) {
  request_.body.append(data);  // the decoder stops at maxBody
}

void Connection::finishRequest() {
  Response response = server_.answer(request_);
  bool closing = !keepAlive_ || closeWhenIdle_ || server_.shuttingDown();
  queue(serializeResponse(response, headOnly_, closing, http10_ && keepAlive_));
  logAccess(response);
  if (in_.empty()) in_.release();  // an idle connection holds no block
  scanner_.reset();
  timingRequest_ = false;
  phase_ = closing ? Phase::kClosing : Phase::kHead;
}

void Connection::logAccess(const Response& response) {
  double ms = std::chrono::duration<double, std::milli>(event::Clock::now() - started_).count();
  // Everything from the request is the client's (behind the proxy: a VM's
  // target, and header values whoever connects to this socket may forge):
  // escaped as the proxy's access log escapes the request line.
  std::string who;
  if (server_.config().front == Front::kNova) {
    // What Neutron's agent said; the signature itself stays out of the log.
    who = "nova instance-id=" + log::escaped(firstValue(request_, "X-Instance-ID")) +
          " tenant=" + log::escaped(firstValue(request_, "X-Tenant-ID"));
  } else {
    std::string_view network = firstValue(request_, "X-Neutron-Network-ID");
    std::string_view router = firstValue(request_, "X-Neutron-Router-ID");
    std::string_view ovn = firstValue(request_, "X-OVN-Network-ID");
    who = router != "-" ? "router=" + log::escaped(router)
          : ovn != "-"  ? "ovn-network=" + log::escaped(ovn)
                        : "network=" + log::escaped(network);
  }
  // The request body's size shows that a POST body arrived (bodies are not logged).
  log::info("access client={} {} \"{} {}\" {} {} {:.1f}ms {}{}{}{}",
            log::escaped(firstValue(request_, "X-Forwarded-For")), who,
            request_.method.empty() ? "-" : log::escaped(request_.method),
            request_.target.empty() ? "-" : log::escaped(request_.target), response.status,
            response.body.size(), ms, response.reason,
            response.instance.empty() ? "" : " instance=", log::escaped(response.instance),
            request_.body.empty() ? std::string() : fmt::format(" body={}", request_.body.size()));
}

void Connection::replyError(int status, const char* reason, bool closeAfter) {
  Response response =
      textResponse(status, fmt::format("{}: {}", statusText(status), reason), reason);
  queue(serializeResponse(response, false, closeAfter, false));
  logAccess(response);
  in_.clear();
  timingRequest_ = false;
  phase_ = Phase::kClosing;
}

void Connection::replyHttpError(http::Reply reply) {
  const http::ReplyInfo& info = http::replyInfo(reply);
  request_ = Request{};  // nothing of a malformed request is trusted, nor logged
  replyError(info.status, info.reason);
}

void Connection::queue(std::string_view bytes) {
  // An answer is queued whole, however large (the data file decides): the
  // limit grows for it, and process() queues no next answer while out_ holds
  // kMaxOutput or more.
  out_.appendWhole(bytes);
}

void Connection::flushOutput() {
  if (phase_ == Phase::kClosed || out_.empty()) return;
  size_t sent = 0;
  net::Stream::Flush result = stream_.flush(out_, &sent);
  if (sent > 0) wrote_ = true;
  if (result == net::Stream::Flush::kFailed) {
    log::debug("metadata: send: {}", errnoText(errno));
    close();
  } else if (result == net::Stream::Flush::kDone) {
    out_.release();
    out_.setLimit(kMaxOutput);
  }
}

void Connection::rearmTimer() {
  if (phase_ == Phase::kClosed) return;
  const ServerConfig& c = server_.config();
  // Fixed durations only: the loop keeps one timer list per duration.
  if (!out_.empty()) {
    if (timerKind_ != TimerKind::kWrite || wrote_) timer_.arm(c.writeTimeout);
    timerKind_ = TimerKind::kWrite;
    wrote_ = false;
  } else if (timingRequest_) {
    // Armed once per request, never extended by trickling bytes.
    if (timerKind_ != TimerKind::kRequest) timer_.arm(c.requestTimeout);
    timerKind_ = TimerKind::kRequest;
  } else if (timerKind_ != TimerKind::kIdle) {
    timer_.arm(c.idleTimeout);
    timerKind_ = TimerKind::kIdle;
  }
}

void Connection::onTimer(event::Timer&) {
  if (phase_ == Phase::kClosed) return;
  if (timerKind_ == TimerKind::kRequest && phase_ != Phase::kClosing) {
    if (phase_ == Phase::kHead) request_ = Request{};  // the head never completed
    replyError(408, "request_timeout");
    flushOutput();  // one attempt; the connection closes either way
  } else {
    log::debug("metadata: connection {} timeout",
               timerKind_ == TimerKind::kWrite ? "write" : "idle");
  }
  close();
}

void Connection::closeWhenIdle() {
  closeWhenIdle_ = true;
  bool between = phase_ == Phase::kHead && in_.empty() && out_.empty();
  bool lingering = phase_ == Phase::kClosing && stream_.wroteEof();
  if (between || lingering) close();
}

void Connection::close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  timer_.cancel();
  stream_.close();  // events already queued for this fd are ignored
  in_.release();
  out_.release();
  server_.release(this);
}

}  // namespace nsmp::metadata
