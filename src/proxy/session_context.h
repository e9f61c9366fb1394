// What a session is handed by its listener -- the listener's configuration,
// identity, counters, agent pool and rate limiter, shared by its sessions --
// so that a session never reaches through the listener or the worker.
#pragma once

#include "event/loop.h"
#include "http/request.h"
#include "proxy/config.h"
#include "proxy/counters.h"

namespace nsmp::proxy {

class RateLimiter;
class Session;
class UpstreamPool;

struct SessionContext {
  event::Loop& loop;
  const ListenerConfig& config;
  http::UpstreamIdentity identity;
  Counters& counters;
  UpstreamPool& upstreams;
  RateLimiter* rate_limiter;  // null: no rate limiting
};

// The owner of a listener's sessions, told when one has closed.
class SessionOwner {
 public:
  virtual void sessionClosed(Session* session) = 0;

 protected:
  ~SessionOwner() = default;
};

}  // namespace nsmp::proxy
