// Connections to the metadata agent. By default every request gets a fresh
// UNIX connection with "Connection: close", as Neutron's haproxy config does
// and as the agent expects. With ListenerConfig::upstream_keepalive > 0, a
// listener keeps up to that many idle connections that the agent answered
// with HTTP/1.1 keep-alive, each for at most upstream_idle, and hands them to
// later GET/HEAD requests of the same listener. An idle connection that
// becomes readable (the agent closed it, or sent bytes nobody asked for) is
// closed at once, never handed out.
//
// A connection object outlives its fd by one loop turn (deferred deletion),
// so an epoll event queued for a closed connection finds it closed.
#pragma once

#include <cstdint>

#include "base/intrusive_list.h"
#include "base/result.h"
#include "event/loop.h"
#include "net/stream.h"
#include "proxy/config.h"

namespace nsmp::proxy {

class UpstreamPool;

class UpstreamConn final : public event::IoHandler,
                           public event::TimerHandler,
                           public event::Deletable {
 public:
  // The connection's transport; while the connection is in use its events
  // go to the handler acquire() was given.
  net::Stream& stream() { return stream_; }
  // Served a request before: the agent may have closed it meanwhile.
  bool reused() const { return reused_; }

  void onIo(event::Watcher& w, uint32_t events) override;  // idle only
  void onTimer(event::Timer& t) override;                  // idle only

 private:
  friend class UpstreamPool;
  UpstreamConn(UpstreamPool& pool, event::Loop& loop)
      : pool_(pool), stream_(loop, this), idle_timer_(loop, this) {}

  UpstreamPool& pool_;
  net::Stream stream_;
  event::Timer idle_timer_;
  ListHook<UpstreamConn> idle_hook_;
  bool reused_ = false;
};

class UpstreamPool {
 public:
  struct Stats {
    uint64_t opened = 0;  // fresh connections made
    uint64_t reused = 0;  // requests that went over a kept connection
  };

  UpstreamPool(event::Loop& loop, const ListenerConfig& config);
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // A connection whose events go to `owner`: the most recently idled one if
  // `may_reuse` and one is kept, else a fresh connection to the agent.
  Result<UpstreamConn*> acquire(event::IoHandler* owner, bool may_reuse);
  // The owner is done with `c`: kept idle when `reusable` and there is room,
  // else closed.
  void release(UpstreamConn* c, bool reusable);
  // Closes every idle connection (shutdown).
  void closeIdle();

  bool enabled() const { return max_idle_ > 0; }
  size_t idleCount() const { return idle_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  friend class UpstreamConn;
  void destroy(UpstreamConn* c);
  void dropIdle(UpstreamConn* c);

  event::Loop& loop_;
  const ListenerConfig& config_;
  uint32_t max_idle_;
  IntrusiveList<UpstreamConn, &UpstreamConn::idle_hook_> idle_;  // front: most recently idled
  Stats stats_;
};

}  // namespace nsmp::proxy
