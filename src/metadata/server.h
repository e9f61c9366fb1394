// The metadata server's transport: a UNIX stream socket served from the
// shared epoll loop (src/event), HTTP/1.x heads found by http::HeadScanner
// and parsed by llhttp (src/http), each request answered by
// MetadataService::handle(). Single-threaded; every resource is bounded:
// connections (maxConnections: at the limit the listener stops accepting and
// the kernel backlog queues), input and output bytes per connection, and the
// time a request, an idle keep-alive connection or a slow reader may take.
//
// The data file is polled once a second (DataFileWatcher) and a good new
// version replaces the data for the next request.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "event/loop.h"
#include "metadata/service.h"
#include "metadata/watcher.h"
#include "net/fd.h"

namespace nsmp::metadata {

struct ServerConfig {
  std::string socketPath;
  std::optional<unsigned> socketMode;  // chmod after bind; default: as the umask leaves it
  size_t maxConnections = 1024;
  size_t maxBody = 64 * 1024;            // the largest body Nova takes is 1020 bytes
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
  // Stops accepting, lets in-flight requests finish, stops the loop when the
  // last connection is gone or `grace` has passed.
  void beginShutdown(event::Millis grace);

  void onIo(event::Watcher& w, uint32_t events) override;
  void onTimer(event::Timer& t) override;

  // For Connection.
  event::Loop& loop() { return loop_; }
  MetadataService& service() { return service_; }
  const ServerConfig& config() const { return config_; }
  bool shuttingDown() const { return shuttingDown_; }
  void release(Connection* connection);
  size_t connectionCount() const { return connections_.size(); }

 private:
  void acceptAll();
  void pollDataFile();
  void closeListener();

  event::Loop& loop_;
  MetadataService& service_;
  DataFileWatcher* watcher_;
  ServerConfig config_;
  net::Fd listenFd_;
  event::Watcher listenWatcher_;
  event::Timer pollTimer_;
  event::Timer graceTimer_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  bool shuttingDown_ = false;
  bool boundSocket_ = false;
};

}  // namespace nsmp::metadata
