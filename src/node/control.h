// The node's control socket: a UNIX stream socket, one request per line and
// one reply line per request, in order. What a line means is the handler's
// business (app/node_protocol); this class only frames lines, bounds them and
// writes the replies back. A handler may answer later (an add waits for the
// root helper): the connection then reads no further line until it has, so
// replies stay in order, while other connections and the event loop go on.
// Connections are few and rare, so simplicity wins over speed here:
// std::string buffers, one handler call per line.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "event/loop.h"
#include "net/fd.h"

namespace nsmp::node {

// The answer to one request line. Copyable; the first send() counts. Sending
// after the connection has closed (the client went away) does nothing.
class ControlReply {
 public:
  void send(std::string line) const;

 private:
  friend class ControlServer;
  struct Slot;
  explicit ControlReply(std::weak_ptr<Slot> slot) : slot_(std::move(slot)) {}
  std::weak_ptr<Slot> slot_;
};

class ControlServer final : public event::IoHandler, public event::TimerHandler {
 public:
  // Takes a request line (without its newline) and sends the reply line
  // (without its newline), at once or later.
  using Handler = std::function<void(std::string_view line, ControlReply reply)>;
  // Longest request line; a longer one is answered with `too_long` and the
  // connection is closed.
  static constexpr size_t kMaxLine = 1 << 20;
  static constexpr size_t kMaxConnections = 64;

  // Listens on `path`, mode 0600. A socket file nobody answers on is
  // replaced; one that answers belongs to another node: refused.
  static Result<std::unique_ptr<ControlServer>> open(event::Loop& loop, const std::string& path,
                                                     Handler handler, std::string too_long);
  ~ControlServer();

  void onIo(event::Watcher& w, uint32_t events) override;
  // Accepts again after running out of descriptors: a connection left in the
  // backlog then gets no new edge, and the operator's `ctl` would wait.
  void onTimer(event::Timer& t) override;

 private:
  friend class ControlReply;
  class Connection;
  ControlServer(event::Loop& loop, std::string path, net::Fd fd, Handler handler,
                std::string too_long);
  void acceptAll();
  void closed(Connection* c);

  event::Loop& loop_;
  std::string path_;
  net::Fd fd_;
  event::Watcher watcher_;
  event::Timer accept_retry_;
  Handler handler_;
  std::string too_long_;
  Connection* connections_ = nullptr;  // intrusive list
  size_t count_ = 0;
  bool out_of_fds_ = false;  // warned once until accept works again
};

}  // namespace nsmp::node
