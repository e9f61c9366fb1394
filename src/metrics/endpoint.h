// Serves the metrics page and the health check over HTTP on listening
// sockets handed in: the single proxy's UNIX socket (--metrics_socket), the
// node's TCP address (--metrics-listen). One request per connection, then
// close. The project's own transport: net::Acceptor accepts, net::Stream
// reads and writes, http::readRequestHead() checks the head -- the same
// pipeline and limits the proxy applies to a VM's request.
#pragma once

#include <memory>
#include <string>

#include "base/buffer.h"
#include "base/intrusive_list.h"
#include "base/result.h"
#include "event/loop.h"
#include "http/head_scanner.h"
#include "net/acceptor.h"
#include "net/stream.h"
#include "proxy/worker.h"

namespace nsmp::metrics {

class Endpoint;

// One scrape: request head in, answer out, close.
class Exchange final : public event::IoHandler,
                       public event::TimerHandler,
                       public event::Deletable {
 public:
  Exchange(Endpoint& endpoint, event::Loop& loop);
  void start(net::Fd fd);
  void close();

  void onIo(event::Watcher& w, uint32_t events) override;
  void onTimer(event::Timer& t) override;

  ListHook<Exchange> hook;

 private:
  enum class State : uint8_t { kReading, kWriting, kDraining, kClosed };
  void step();

  Endpoint& endpoint_;
  net::Stream stream_;
  event::Timer timer_;
  Buffer in_;
  Buffer out_;
  http::HeadScanner scanner_;
  State state_ = State::kReading;
};

class Endpoint final : private net::Acceptor::Handler {
 public:
  // Concurrent scrapes at most; more wait in the backlog.
  static constexpr uint32_t kMaxConnections = 16;

  Endpoint(event::Loop& loop, const proxy::Worker& worker);
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // Serves `socket` (bound and listening, non-blocking).
  Status add(net::Fd socket) { return acceptor_.add(std::move(socket)); }
  const std::string& describe() const { return acceptor_.describe(); }

 private:
  friend class Exchange;
  void onAccept(net::Fd fd, const net::PeerAddress& peer) override;
  void closed(Exchange* e);

  event::Loop& loop_;
  const proxy::Worker& worker_;
  net::Acceptor acceptor_;
  IntrusiveList<Exchange, &Exchange::hook> open_;
};

}  // namespace nsmp::metrics
