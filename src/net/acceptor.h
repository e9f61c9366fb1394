// Accepting connections on listening sockets -- the one accept loop of the
// binary (the proxy's listeners, the metadata server, the node's control
// socket). It accepts until the backlog is empty or `max_children` are open:
// then it simply stops calling accept(), further connections wait in the
// kernel backlog, and childClosed() resumes. When accept() fails for want of
// descriptors or memory, the connection stays in the backlog and no new edge
// may come for it, so it tries again every 100 ms.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "event/loop.h"
#include "net/address.h"
#include "net/fd.h"

namespace nsmp::net {

class Acceptor final : public event::IoHandler, public event::TimerHandler {
 public:
  class Handler {
   public:
    // A new connection; the handler calls childClosed() when it is gone.
    virtual void onAccept(Fd fd, const PeerAddress& peer) = 0;

   protected:
    ~Handler() = default;
  };

  Acceptor(event::Loop& loop, Handler& handler, uint32_t max_children);
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Starts accepting on `socket` (bound and listening, non-blocking).
  Status add(Fd socket);
  // Closes every listening socket at once (the port is free again); the
  // children go on. Safe inside a callback of this loop turn.
  void stop();
  bool accepting() const { return accepting_; }

  // Hands in a connection as if accepted (a test's or fuzzer's socketpair).
  void adopt(Fd fd, const PeerAddress& peer);
  void childClosed();
  uint32_t children() const { return children_; }

  // "127.0.0.1:9697, [fe80::a9fe:a9fe%tap1]:80" or a socket path: for logs.
  const std::string& describe() const { return description_; }

  void onIo(event::Watcher& w, uint32_t events) override;
  void onTimer(event::Timer& t) override;

 private:
  struct Socket {
    event::Watcher watcher;
    Fd fd;
    bool tcp = false;
  };
  void acceptAll();
  void acceptFailed(int err);

  event::Loop& loop_;
  Handler& handler_;
  uint32_t max_children_;
  uint32_t children_ = 0;
  std::vector<std::unique_ptr<Socket>> sockets_;
  event::Timer retry_;
  std::string description_;
  bool accepting_ = false;
  bool warned_ = false;  // out of descriptors: said once until accept works again
};

}  // namespace nsmp::net
