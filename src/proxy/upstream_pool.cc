#include "proxy/upstream_pool.h"

#include <memory>

#include "net/socket.h"

namespace nsmp::proxy {

void UpstreamConn::onIo(event::Watcher&, uint32_t events) {
  // Idle: whatever the agent does now (close, reset, stray bytes) ends it.
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) pool_.dropIdle(this);
}

void UpstreamConn::onTimer(event::Timer&) { pool_.dropIdle(this); }

UpstreamPool::UpstreamPool(event::Loop& loop, const ListenerConfig& config)
    : loop_(loop), config_(config), max_idle_(config.upstream_keepalive) {}

UpstreamPool::~UpstreamPool() { closeIdle(); }

Result<UpstreamConn*> UpstreamPool::acquire(event::IoHandler* owner, bool may_reuse) {
  if (may_reuse && !idle_.empty()) {
    UpstreamConn* c = idle_.front();
    idle_.remove(c);
    c->idle_timer_.cancel();
    c->stream_.setHandler(owner);
    c->reused_ = true;
    ++stats_.reused;
    return c;
  }
  Result<net::Fd> fd = net::connectUnix(config_.upstream_socket);
  if (!fd) return std::move(fd).status();
  auto* c = new UpstreamConn(*this, loop_);
  // EPOLLOUT only while a send is blocked: a UNIX socket raises an EPOLLOUT
  // edge each time the agent reads.
  if (Status s = c->stream_.open(std::move(*fd), net::Stream::Out::kWhenBlocked); !s) {
    destroy(c);
    return s;
  }
  c->stream_.setHandler(owner);
  ++stats_.opened;
  return c;
}

void UpstreamPool::release(UpstreamConn* c, bool reusable) {
  if (!reusable || idle_.size() >= max_idle_ || !c->stream_.isOpen()) return destroy(c);
  c->stream_.setHandler(c);
  idle_.pushFront(c);
  c->idle_timer_.arm(config_.upstream_idle);
}

void UpstreamPool::closeIdle() {
  while (!idle_.empty()) dropIdle(idle_.front());
}

void UpstreamPool::dropIdle(UpstreamConn* c) {
  if (!decltype(idle_)::linked(c)) return;  // an event queued before it was handed out
  idle_.remove(c);
  destroy(c);
}

void UpstreamPool::destroy(UpstreamConn* c) {
  c->idle_timer_.cancel();
  c->stream_.close();
  loop_.deferDelete(std::unique_ptr<event::Deletable>(c));
}

}  // namespace nsmp::proxy
