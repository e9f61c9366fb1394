// One listener = one network or router: its own sockets, identity, limits,
// counters, rate-limit table and agent pool. The engine keeps nothing per
// network outside this object, so listeners can be added and removed at
// runtime and a node with thousands of them pays only for what each holds.
// Its sessions are handed a SessionContext (this listener's parts), never the
// listener itself.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/intrusive_list.h"
#include "event/loop.h"
#include "http/request.h"
#include "net/acceptor.h"
#include "net/fd.h"
#include "proxy/config.h"
#include "proxy/counters.h"
#include "proxy/rate_limiter.h"
#include "proxy/session.h"
#include "proxy/session_context.h"
#include "proxy/source_limit.h"
#include "proxy/upstream_pool.h"

namespace nsmp::proxy {

class Listener final : public event::Deletable,
                       private net::Acceptor::Handler,
                       private SessionOwner {
 public:
  class Owner {
   public:
    // A draining listener's last session has closed.
    virtual void listenerDrained(Listener* listener) = 0;

   protected:
    ~Owner() = default;
  };

  Listener(event::Loop& loop, Owner& owner, ListenerConfig config);
  ~Listener() override;

  // Serves `sockets` (bound and listening, one per config.binds entry).
  Status start(std::vector<net::Fd> sockets);
  // Stops accepting and closes the listening sockets; live sessions go on.
  void stopAccepting();
  // Closes idle keep-alive connections and makes the others close after
  // their current response.
  void drainSessions();
  // Removal at runtime: stops accepting and drains; the owner frees the
  // listener once its last session has closed.
  void retire();
  bool retiring() const { return retiring_; }

  // Serves a client connection: what the accept loop calls, and a test's or
  // fuzzer's way in (a socketpair). Over its address's --maxconn_per_source
  // it is answered 429 and closed.
  void adopt(net::Fd client, const net::PeerAddress& peer);

  const ListenerConfig& config() const { return config_; }
  const http::UpstreamIdentity& identity() const { return context_.identity; }
  const Counters& counters() const { return counters_; }
  const UpstreamPool& upstreams() const { return upstreams_; }
  size_t sessionCount() const { return counters_.active; }
  // Its listening sockets are open (false once stopped or retired).
  bool accepting() const { return acceptor_.accepting(); }
  // Where it listens(ed), fixed at start(): "127.0.0.1:9697, [fe80::...]:9697".
  const std::string& describe() const { return acceptor_.describe(); }

 private:
  void onAccept(net::Fd fd, const net::PeerAddress& peer) override;
  void sessionClosed(Session* s) override;

  event::Loop& loop_;
  Owner& owner_;
  ListenerConfig config_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  SourceLimit sources_;
  UpstreamPool upstreams_;  // after config_: it reads the socket path and limits
  Counters counters_;
  SessionContext context_;
  net::Acceptor acceptor_;
  IntrusiveList<Session, &Session::hook> sessions_;
  bool draining_ = false;
  bool retiring_ = false;
};

}  // namespace nsmp::proxy
