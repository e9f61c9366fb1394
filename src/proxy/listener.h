// One listener = one network or router: its own sockets, identity, limits,
// counters and rate-limit table. The engine keeps nothing per network outside
// this object, so listeners can be added and removed at runtime and a node
// with thousands of them pays only for what each one holds.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "event/loop.h"
#include "http/reply.h"
#include "http/request.h"
#include "net/fd.h"
#include "proxy/config.h"
#include "proxy/rate_limiter.h"
#include "proxy/source_limit.h"
#include "proxy/upstream_pool.h"

namespace nsmp::proxy {

class Worker;
class Session;

struct Counters {
  uint64_t accepted = 0;
  uint64_t requests = 0;
  uint64_t responses_by_class[6] = {};  // index status/100
  uint64_t bytes_to_client = 0;
  uint64_t upstream_connect_failures = 0;
  std::array<uint64_t, static_cast<size_t>(http::Reply::kCount)> local_replies{};
  uint32_t active = 0;
};

class Listener final : public event::IoHandler,
                       public event::TimerHandler,
                       public event::Deletable {
 public:
  // `sockets` are bound and listening, one per config.binds entry.
  Listener(Worker& worker, ListenerConfig config, std::vector<net::Fd> sockets);
  ~Listener();

  Status start();
  // Stops accepting and closes the listening sockets; live sessions go on.
  void stopAccepting();
  // Closes idle keep-alive connections and makes the others close after
  // their current response.
  void drainSessions();
  // Removal at runtime: stops accepting and drains; the worker frees the
  // listener once its last session has closed.
  void retire();
  bool retiring() const { return retiring_; }

  void onIo(event::Watcher& w, uint32_t events) override;
  void onTimer(event::Timer& t) override;  // accept again after running out of fds

  const ListenerConfig& config() const { return config_; }
  const http::UpstreamIdentity& identity() const { return identity_; }
  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }
  RateLimiter* rateLimiter() { return rate_limiter_.get(); }
  UpstreamPool& upstreams() { return upstreams_; }
  const UpstreamPool& upstreams() const { return upstreams_; }
  Worker& worker() { return worker_; }
  size_t sessionCount() const { return counters_.active; }
  // Where it listens(ed), fixed at start(): "127.0.0.1:9697, [fe80::...]:9697".
  const std::string& describe() const { return description_; }

  // Serves a client connection: the one way in for a connection accepted on
  // this listener's sockets, or handed in by a test or fuzzer (a socketpair).
  // Over its address's --maxconn_per_source it is answered 429 and closed.
  void adopt(net::Fd client, const net::PeerAddress& peer);

  // Called by a session as it closes; resumes accepting below maxconn.
  void sessionClosed(Session* s);

 private:
  struct Socket {
    event::Watcher watcher;
    net::Fd fd;
  };
  void acceptAll();

  Worker& worker_;
  ListenerConfig config_;
  http::UpstreamIdentity identity_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  SourceLimit sources_;
  UpstreamPool upstreams_;  // after config_: it reads the socket path and limits
  Counters counters_;
  std::string description_;
  event::Timer accept_retry_;
  static constexpr Millis kAcceptRetry{100};
  Session* sessions_ = nullptr;  // intrusive list of live sessions
  bool accepting_ = true;
  bool draining_ = false;
  bool retiring_ = false;

  friend class Session;
};

}  // namespace nsmp::proxy
