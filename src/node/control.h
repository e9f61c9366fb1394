// The node's control socket: a UNIX stream socket, one request per line and
// one reply line per request, in order. What a line means is the handler's
// business (app/node_protocol); this class only frames lines, bounds them and
// writes the replies back. A handler may answer later (an add waits for the
// root helper): the connection then reads no further line until it has, so
// replies stay in order, while other connections and the event loop go on.
// Connections are few and rare, so simplicity wins over speed here: one
// handler call per line. Accepting (at most kMaxConnections at a time; the
// rest wait in the backlog) is net::Acceptor's, each connection a net::Stream.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/intrusive_list.h"
#include "base/result.h"
#include "event/loop.h"
#include "net/acceptor.h"
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

class ControlServer final : private net::Acceptor::Handler {
 public:
  // Takes a request line (without its newline) and sends the reply line
  // (without its newline), at once or later.
  using Handler = std::function<void(std::string_view line, ControlReply reply)>;
  // Longest request line; a longer one is answered with `too_long` and the
  // connection is closed.
  static constexpr size_t kMaxLine = 1 << 20;
  // Open at a time; further ones wait in the backlog until one closes.
  static constexpr size_t kMaxConnections = 64;

  // Listens on `path`, mode 0600. A socket file nobody answers on is
  // replaced; one that answers belongs to another node: refused.
  static Result<std::unique_ptr<ControlServer>> open(event::Loop& loop, const std::string& path,
                                                     Handler handler, std::string too_long);
  ~ControlServer();

 private:
  friend class ControlReply;
  class Connection;
  // Where the list hook is: Connection is complete only in control.cc.
  struct Listed {
    ListHook<Listed> hook;
  };
  ControlServer(event::Loop& loop, std::string path, Handler handler, std::string too_long);
  void onAccept(net::Fd fd, const net::PeerAddress& peer) override;
  void closed(Connection* c);

  event::Loop& loop_;
  std::string path_;
  Handler handler_;
  std::string too_long_;
  net::Acceptor acceptor_;
  IntrusiveList<Listed, &Listed::hook> connections_;
};

}  // namespace nsmp::node
