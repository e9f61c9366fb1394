#include "proxy/upstream_pool.h"

#include <unistd.h>

#include <memory>

#include "net/socket.h"

namespace nsmp::proxy {

void UpstreamConn::closeFd() {
  idle_timer_.cancel();
  if (watcher_.fd >= 0) ::close(watcher_.fd);  // also leaves the epoll set
  watcher_.fd = -1;
}

void UpstreamConn::onIo(event::Watcher& w, uint32_t events) {
  if (watcher_.fd < 0) return;  // queued before this connection was closed
  if (owner_) return owner_->onIo(w, events);
  // Idle: whatever the agent does now (close, reset, stray bytes) ends it.
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    pool_.unlinkIdle(this);
    pool_.destroy(this);
  }
}

void UpstreamConn::onTimer(event::Timer&) {
  if (owner_ || watcher_.fd < 0) return;
  pool_.unlinkIdle(this);
  pool_.destroy(this);
}

UpstreamPool::UpstreamPool(event::Loop& loop, const ListenerConfig& config)
    : loop_(loop), config_(config), max_idle_(config.upstream_keepalive) {}

UpstreamPool::~UpstreamPool() { closeIdle(); }

Result<UpstreamConn*> UpstreamPool::acquire(event::IoHandler* owner, bool may_reuse) {
  if (may_reuse && idle_) {
    UpstreamConn* c = idle_;
    unlinkIdle(c);
    c->idle_timer_.cancel();
    c->owner_ = owner;
    c->reused_ = true;
    ++stats_.reused;
    return c;
  }
  Result<net::Fd> fd = net::connectUnix(config_.upstream_socket);
  if (!fd) return fd.status();
  auto* c = new UpstreamConn(*this, loop_);
  c->watcher_.fd = fd->release();
  c->watcher_.handler = c;
  c->owner_ = owner;
  // No EPOLLOUT: the head is written at once, and a UNIX socket would raise
  // an EPOLLOUT edge each time the agent reads. Added only if a send blocks.
  if (Status s = loop_.add(c->watcher_, EPOLLIN | EPOLLRDHUP); !s) {
    destroy(c);
    return s;
  }
  ++stats_.opened;
  return c;
}

void UpstreamPool::release(UpstreamConn* c, bool reusable) {
  c->owner_ = nullptr;
  if (!reusable || idle_count_ >= max_idle_ || c->fd() < 0) return destroy(c);
  c->prev_idle_ = nullptr;
  c->next_idle_ = idle_;
  if (idle_) idle_->prev_idle_ = c;
  idle_ = c;
  ++idle_count_;
  c->idle_timer_.arm(config_.upstream_idle);
}

void UpstreamPool::closeIdle() {
  while (idle_) {
    UpstreamConn* c = idle_;
    unlinkIdle(c);
    destroy(c);
  }
}

void UpstreamPool::unlinkIdle(UpstreamConn* c) {
  if (c->prev_idle_) {
    c->prev_idle_->next_idle_ = c->next_idle_;
  } else {
    idle_ = c->next_idle_;
  }
  if (c->next_idle_) c->next_idle_->prev_idle_ = c->prev_idle_;
  c->next_idle_ = c->prev_idle_ = nullptr;
  --idle_count_;
}

void UpstreamPool::destroy(UpstreamConn* c) {
  c->closeFd();
  loop_.deferDelete(std::unique_ptr<event::Deletable>(c));
}

}  // namespace nsmp::proxy
