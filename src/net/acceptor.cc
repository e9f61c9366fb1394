#include "net/acceptor.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "base/log.h"

namespace nsmp::net {
namespace {
constexpr event::Millis kRetry{100};
}  // namespace

Acceptor::Acceptor(event::Loop& loop, Handler& handler, uint32_t max_children)
    : loop_(loop), handler_(handler), max_children_(max_children), retry_(loop, this) {}

Acceptor::~Acceptor() { stop(); }

Status Acceptor::add(Fd socket) {
  auto s = std::make_unique<Socket>();
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  s->tcp = ::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0 &&
           (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
  s->fd = std::move(socket);
  s->watcher.fd = s->fd.get();
  s->watcher.handler = this;
  if (Status st = loop_.add(s->watcher, EPOLLIN); !st) return st;
  accepting_ = true;
  if (!description_.empty()) description_ += ", ";
  description_ += localAddress(s->fd.get());
  sockets_.push_back(std::move(s));
  acceptAll();  // connections may be waiting already
  return {};
}

// The Socket objects stay: an event already fetched in this loop turn may
// still point at their watchers (it then finds fd -1 and is skipped).
void Acceptor::stop() {
  for (auto& s : sockets_) {
    if (!s->fd.valid()) continue;
    loop_.remove(s->watcher);
    loop_.deactivate(s->watcher);
    s->watcher.fd = -1;
    s->fd.reset();
  }
  accepting_ = false;
  retry_.cancel();
}

void Acceptor::adopt(Fd fd, const PeerAddress& peer) {
  ++children_;
  handler_.onAccept(std::move(fd), peer);
}

void Acceptor::childClosed() {
  if (children_ > 0) --children_;
  if (children_ + 1 == max_children_) acceptAll();
}

void Acceptor::onIo(event::Watcher&, uint32_t) { acceptAll(); }

void Acceptor::onTimer(event::Timer&) { acceptAll(); }

// accept4() failed with err (not EINTR/ECONNABORTED, which retry at once).
// Out of descriptors or memory: warn once until an accept succeeds, and try
// again after kRetry. Anything but EAGAIN: a warning.
void Acceptor::acceptFailed(int err) {
  if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
    if (!warned_) {
      log::warning("accept on {}: {}; retrying in {} ms", description_, errnoText(err),
                   kRetry.count());
      warned_ = true;
    }
    if (!retry_.armed()) retry_.arm(kRetry);
  } else if (err != EAGAIN && err != EWOULDBLOCK) {
    log::warning("accept on {}: {}", description_, errnoText(err));
  }
}

void Acceptor::acceptAll() {
  // Indexed: the handler may stop() the acceptor (a node shutting down).
  for (size_t i = 0; i < sockets_.size(); ++i) {
    while (accepting_ && sockets_[i]->fd.valid() && children_ < max_children_) {
      Socket& s = *sockets_[i];
      sockaddr_storage ss;
      socklen_t len = sizeof ss;
      int fd = ::accept4(s.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        acceptFailed(errno);
        break;
      }
      warned_ = false;
      if (s.tcp) {
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      }
      adopt(Fd(fd), PeerAddress::from(ss));
    }
  }
}

}  // namespace nsmp::net
