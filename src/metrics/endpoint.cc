#include "metrics/endpoint.h"

#include "http/limits.h"
#include "http/request.h"
#include "http/response.h"
#include "metrics/answer.h"

namespace nsmp::metrics {
namespace {

// The whole exchange, from accept to the answer written: a scraper that
// stalls is dropped. After the answer, the peer gets a moment to close first
// (its unread bytes would otherwise turn our close into a RST).
constexpr event::Millis kExchangeTimeout{10'000};
constexpr event::Millis kLinger{1'000};

}  // namespace

Exchange::Exchange(Endpoint& endpoint, event::Loop& loop)
    : endpoint_(endpoint), stream_(loop, this), timer_(loop, this), in_(http::kMaxHead) {}

void Exchange::start(net::Fd fd) {
  if (!stream_.open(std::move(fd), net::Stream::Out::kAlways)) return close();
  timer_.arm(kExchangeTimeout);
  stream_.wake();  // the request often arrives with the connection
}

void Exchange::onIo(event::Watcher&, uint32_t events) {
  if (state_ == State::kClosed) return;
  stream_.onEvents(events);
  step();
}

void Exchange::onTimer(event::Timer&) { close(); }

void Exchange::step() {
  if (state_ == State::kReading) {
    stream_.read(in_);
    http::RequestHead head;
    http::HeadStep s = http::readRequestHead(scanner_, in_.view(), &head);
    if (s.progress == http::HeadProgress::kIncomplete) {
      if (stream_.eof()) return close();  // gone before asking anything
      if (!in_.full()) return;
      s = {http::HeadProgress::kRejected, http::Reply::kHeadersTooLarge};
    }
    if (s.progress == http::HeadProgress::kRejected) {
      http::writeLocalReply(s.reply, false, false, out_);
    } else {
      writeAnswer(answer(endpoint_.worker_, head.fields.method, head.facts.target),
                  head.facts.head_method, out_);
    }
    in_.clear();
    in_.release();
    state_ = State::kWriting;
  }
  if (state_ == State::kWriting) {
    net::Stream::Flush f = stream_.flush(out_);
    if (f == net::Stream::Flush::kBlocked) return;
    if (f == net::Stream::Flush::kFailed) return close();
    out_.release();
    stream_.shutdownWrite();
    state_ = State::kDraining;
    timer_.arm(kLinger);
  }
  if (state_ == State::kDraining && stream_.drainToEof()) close();
}

void Exchange::close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  timer_.cancel();
  stream_.close();
  out_.clear();
  out_.release();
  in_.clear();
  in_.release();
  endpoint_.closed(this);
}

Endpoint::Endpoint(event::Loop& loop, const proxy::Worker& worker)
    : loop_(loop), worker_(worker), acceptor_(loop, *this, kMaxConnections) {}

Endpoint::~Endpoint() {
  acceptor_.stop();
  open_.forEach([](Exchange* e) { e->close(); });  // each unlinks itself
}

void Endpoint::onAccept(net::Fd fd, const net::PeerAddress&) {
  auto* e = new Exchange(*this, loop_);
  open_.pushFront(e);
  e->start(std::move(fd));
}

void Endpoint::closed(Exchange* e) {
  open_.remove(e);
  loop_.deferDelete(std::unique_ptr<event::Deletable>(e));
  acceptor_.childClosed();
}

}  // namespace nsmp::metrics
