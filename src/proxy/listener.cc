#include "proxy/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>

#include "base/log.h"
#include "net/address.h"
#include "proxy/session.h"
#include "proxy/worker.h"

namespace nsmp::proxy {

const char* identityHeaderName(IdentityKind kind) {
  switch (kind) {
    case IdentityKind::kNetwork:
      return "X-Neutron-Network-ID";
    case IdentityKind::kRouter:
      return "X-Neutron-Router-ID";
    case IdentityKind::kOvnNetwork:
      return "X-OVN-Network-ID";
  }
  return "X-Neutron-Network-ID";
}

Listener::Listener(Worker& worker, ListenerConfig config, std::vector<net::Fd> sockets)
    : worker_(worker),
      config_(std::move(config)),
      sources_(config_.maxconn_per_source),
      upstreams_(worker.loop(), config_),
      accept_retry_(worker.loop(), this) {
  identity_ = {identityHeaderName(config_.identity.kind), config_.identity.value};
  for (net::Fd& fd : sockets) {
    auto s = std::make_unique<Socket>();
    s->fd = std::move(fd);
    s->watcher.fd = s->fd.get();
    s->watcher.handler = this;
    sockets_.push_back(std::move(s));
  }
  if (config_.rate_limit.enabled) rate_limiter_ = std::make_unique<RateLimiter>(config_.rate_limit);
}

Listener::~Listener() {
  accepting_ = false;
  draining_ = false;
  while (sessions_) sessions_->close();  // each unlinks itself
}

Status Listener::start() {
  for (auto& s : sockets_) {
    if (Status st = worker_.loop().add(s->watcher, EPOLLIN); !st) return st;
    if (!description_.empty()) description_ += ", ";
    description_ += net::localAddress(s->fd.get());
  }
  return {};
}

void Listener::stopAccepting() {
  accepting_ = false;
  for (auto& s : sockets_) {
    if (!s->fd.valid()) continue;  // stopped before (removed, then shut down)
    worker_.loop().remove(s->watcher);
    s->watcher.fd = -1;
    s->fd.reset();
  }
}

void Listener::drainSessions() {
  draining_ = true;
  upstreams_.closeIdle();
  for (Session* s = sessions_; s;) {
    Session* next = s->next_;
    s->drain();  // may unlink s
    s = next;
  }
}

void Listener::retire() {
  retiring_ = true;
  stopAccepting();
  drainSessions();
}

void Listener::onIo(event::Watcher&, uint32_t) { acceptAll(); }

void Listener::onTimer(event::Timer&) { acceptAll(); }

// Accepts until the backlog is empty or maxconn is reached. At maxconn the
// proxy simply stops calling accept(): further connections wait in the kernel
// backlog, as with haproxy, and sessionClosed() resumes.
void Listener::acceptAll() {
  for (auto& s : sockets_) {
    while (accepting_ && s->fd.valid() && counters_.active < config_.maxconn) {
      sockaddr_storage ss;
      socklen_t len = sizeof ss;
      int fd = ::accept4(s->fd.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors or memory: the connection stays in the
          // backlog, and no new edge may come for it. Try again shortly.
          if (!accept_retry_.armed()) {
            log::warning("accept on {}: {}; retrying in {} ms", describe(), std::strerror(errno),
                         kAcceptRetry.count());
            accept_retry_.arm(kAcceptRetry);
          }
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
          log::warning("accept on {}: {}", describe(), std::strerror(errno));
        }
        break;
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      adopt(net::Fd(fd), net::PeerAddress::from(ss));
    }
  }
}

void Listener::adopt(net::Fd client, const net::PeerAddress& peer) {
  ++counters_.accepted;
  ++counters_.active;
  const bool counted = sources_.tryOpen(peer);
  auto* session = new Session(*this, std::move(client), peer, counted);
  session->next_ = sessions_;
  if (sessions_) sessions_->prev_ = session;
  sessions_ = session;
  session->start(counted ? http::Reply::kNone : http::Reply::kTooManyConnections);
}

void Listener::sessionClosed(Session* s) {
  if (s->prev_) {
    s->prev_->next_ = s->next_;
  } else {
    sessions_ = s->next_;
  }
  if (s->next_) s->next_->prev_ = s->prev_;
  s->next_ = s->prev_ = nullptr;
  --counters_.active;
  if (s->countedSource()) sources_.close(s->peer());
  worker_.loop().deferDelete(std::unique_ptr<event::Deletable>(s));
  if (accepting_ && counters_.active + 1 == config_.maxconn) acceptAll();
  if (draining_ && counters_.active == 0) worker_.listenerDrained(this);
}

}  // namespace nsmp::proxy
