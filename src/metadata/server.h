// The metadata server: a listening socket served from the shared epoll loop
// (src/event) -- a UNIX socket for the proxy (Front::kAgent) or TCP for a
// Neutron metadata agent (Front::kNova) -- accepted by net::Acceptor, each
// connection a net::Stream, request heads read by the proxy's pipeline
// (http::readRequestHead), each request answered by MetadataService (handle()
// or handleSigned(), by the front). One process may run one Server per front
// on the same loop and service. Single-threaded; every resource is bounded:
// connections (maxConnections: at the limit the acceptor stops accepting and
// the kernel backlog queues; out of descriptors, it retries), input and output
// bytes per connection, and the time a request, an idle keep-alive connection
// or a slow reader may take.
//
// The data file is polled once a second (DataFileWatcher) and a good new
// version replaces the data for the next request.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/intrusive_list.h"
#include "event/loop.h"
#include "metadata/connection.h"
#include "metadata/service.h"
#include "metadata/watcher.h"
#include "net/acceptor.h"
#include "net/fd.h"
#include "net/socket.h"

namespace nsmp::metadata {

// Which side the server plays (service.h).
enum class Front : uint8_t {
  kAgent,  // Neutron's agent and Nova: the proxy's identity headers, on socketPath
  kNova,   // Nova's metadata API: signed X-Instance-ID, on tcp
};

struct ServerConfig {
  Front front = Front::kAgent;
  std::string socketPath;            // kAgent
  net::ListenSpec tcp;               // kNova
  std::string sharedSecret;          // kNova: Neutron's metadata_proxy_shared_secret
  std::optional<mode_t> socketMode;  // the socket file's mode; default: as the umask leaves it
  size_t maxConnections = 1024;
  size_t maxBody = size_t{64} * 1024;    // the largest body Nova takes is 1020 bytes
  event::Millis requestTimeout{30'000};  // first byte of a request to its end
  event::Millis idleTimeout{30'000};     // keep-alive wait for the next request
  event::Millis writeTimeout{30'000};    // no progress writing the answer
  event::Millis pollInterval{1'000};     // data file change check
};

class Server final : public event::TimerHandler, private net::Acceptor::Handler {
 public:
  // `watcher` may be null (no reloads: tests that build the data in memory).
  Server(event::Loop& loop, MetadataService& service, DataFileWatcher* watcher,
         ServerConfig config);
  ~Server();

  Status start();  // binds the socket; errors name the operation
  // Where it listens: the socket path, or "127.0.0.1:8775" / "[::1]:8775"
  // with the port the kernel chose for port 0.
  std::string address() const;
  // Stops accepting, lets in-flight requests finish, then (the last
  // connection gone or `grace` passed) calls the drained callback, by default
  // stopping the loop. Called once per server.
  void beginShutdown(event::Millis grace);
  // For a process running several servers on one loop: the callback decides
  // when the loop stops.
  void setOnDrained(std::function<void()> onDrained) { onDrained_ = std::move(onDrained); }

  void onTimer(event::Timer& t) override;

  // For Connection.
  event::Loop& loop() { return loop_; }
  // The answer of this server's front.
  Response answer(const Request& request);
  const ServerConfig& config() const { return config_; }
  bool shuttingDown() const { return shuttingDown_; }
  void release(Connection* connection);
  size_t connectionCount() const { return connections_.size(); }

 private:
  void onAccept(net::Fd fd, const net::PeerAddress& peer) override;
  void pollDataFile();
  void closeListener();
  void drained();

  event::Loop& loop_;
  MetadataService& service_;
  DataFileWatcher* watcher_;
  ServerConfig config_;
  net::Acceptor acceptor_;  // after config_: sized by maxConnections
  event::Timer pollTimer_;
  event::Timer graceTimer_;
  IntrusiveList<Connection, &Connection::hook> connections_;
  std::function<void()> onDrained_;
  bool shuttingDown_ = false;
  bool drained_ = false;
  bool boundSocket_ = false;
};

}  // namespace nsmp::metadata
