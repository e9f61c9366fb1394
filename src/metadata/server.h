// The metadata server's transport: a listening socket served from the
// shared epoll loop (src/event) -- a UNIX socket for the proxy (Front::kAgent)
// or TCP for a Neutron metadata agent (Front::kNova) -- HTTP/1.x heads found by http::HeadScanner
// and parsed by llhttp (src/http), each request answered by
// MetadataService (handle() or handleSigned(), by the front). One process may
// run one Server per front on the same loop and service. Single-threaded; every resource is
// bounded: connections (maxConnections: at the limit the listener stops accepting and the kernel
// backlog queues), input and output bytes per connection, and the time a request, an idle
// keep-alive connection or a slow reader may take.
//
// The data file is polled once a second (DataFileWatcher) and a good new
// version replaces the data for the next request.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "event/loop.h"
#include "metadata/service.h"
#include "metadata/watcher.h"
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
  std::string socketPath;              // kAgent
  net::ListenSpec tcp;                 // kNova
  std::string sharedSecret;            // kNova: Neutron's metadata_proxy_shared_secret
  std::optional<unsigned> socketMode;  // chmod after bind; default: as the umask leaves it
  size_t maxConnections = 1024;
  size_t maxBody = size_t{64} * 1024;    // the largest body Nova takes is 1020 bytes
  event::Millis requestTimeout{30'000};  // first byte of a request to its end
  event::Millis idleTimeout{30'000};     // keep-alive wait for the next request
  event::Millis writeTimeout{30'000};    // no progress writing the answer
  event::Millis pollInterval{1'000};     // data file change check
};

class Connection;

class Server final : public event::IoHandler, public event::TimerHandler {
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

  void onIo(event::Watcher& w, uint32_t events) override;
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
  void acceptAll();
  void pollDataFile();
  void closeListener();
  void drained();

  event::Loop& loop_;
  MetadataService& service_;
  DataFileWatcher* watcher_;
  ServerConfig config_;
  net::Fd listenFd_;
  event::Watcher listenWatcher_;
  event::Timer pollTimer_;
  event::Timer graceTimer_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::function<void()> onDrained_;
  bool shuttingDown_ = false;
  bool drained_ = false;
  bool boundSocket_ = false;
};

}  // namespace nsmp::metadata
