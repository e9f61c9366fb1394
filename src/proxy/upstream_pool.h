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
// so an epoll event queued for a closed connection finds fd < 0 and is ignored.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "event/loop.h"
#include "proxy/config.h"

namespace nsmp::proxy {

class UpstreamPool;

class UpstreamConn final : public event::IoHandler,
                           public event::TimerHandler,
                           public event::Deletable {
 public:
  int fd() const { return watcher_.fd; }
  event::Watcher& watcher() { return watcher_; }
  // Served a request before: the agent may have closed it meanwhile.
  bool reused() const { return reused_; }
  // EPOLLOUT is in the registration (added once a send blocked).
  bool wants_out = false;

  void onIo(event::Watcher& w, uint32_t events) override;
  void onTimer(event::Timer& t) override;

 private:
  friend class UpstreamPool;
  UpstreamConn(UpstreamPool& pool, event::Loop& loop) : pool_(pool), idle_timer_(loop, this) {}
  void closeFd();

  UpstreamPool& pool_;
  event::Watcher watcher_;
  event::Timer idle_timer_;
  event::IoHandler* owner_ = nullptr;  // receives events while in use
  UpstreamConn* next_idle_ = nullptr;  // LIFO stack of idle connections
  UpstreamConn* prev_idle_ = nullptr;
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
  uint32_t idleCount() const { return idle_count_; }
  const Stats& stats() const { return stats_; }

 private:
  friend class UpstreamConn;
  void unlinkIdle(UpstreamConn* c);
  void destroy(UpstreamConn* c);

  event::Loop& loop_;
  const ListenerConfig& config_;
  uint32_t max_idle_;
  UpstreamConn* idle_ = nullptr;  // most recently released first
  uint32_t idle_count_ = 0;
  Stats stats_;
};

}  // namespace nsmp::proxy
