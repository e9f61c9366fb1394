// Per-source-address request rate limiting, as Neutron's rate-limited haproxy
// config does with two stick-tables: a base window and a burst window, each
// counting requests per address; a request is refused when either rate goes
// over its limit. Rates are smoothed over two periods like haproxy's
// http_req_rate(): rate = current + previous * (unelapsed part of the period).
// Memory is bounded by table_size entries; an entry idle for `expire` is
// forgotten, and when the table is full the least recently seen goes first.
#pragma once

#include <cstdint>
#include <list>
#include <unordered_map>

#include "event/loop.h"
#include "net/address.h"
#include "proxy/config.h"

namespace nsmp::proxy {

class RateLimiter {
 public:
  explicit RateLimiter(const RateLimit& config) : config_(config) {}

  // Counts one request from `peer` at `now`. Returns true if the request is
  // over either limit (denied requests count too, as haproxy's track-sc does).
  bool overLimit(const net::PeerAddress& peer, event::TimePoint now);
  size_t size() const { return map_.size(); }

 private:
  struct Window {
    uint32_t current = 0;
    uint32_t previous = 0;
    event::TimePoint start{};
    double hit(event::TimePoint now, Millis period);
  };
  struct Entry {
    Window base;
    Window burst;
    event::TimePoint last{};
    std::list<net::IpKey>::iterator lru;
  };

  void expire(event::TimePoint now);

  RateLimit config_;
  std::unordered_map<net::IpKey, Entry, net::IpKeyHash> map_;
  std::list<net::IpKey> lru_;  // front: least recently seen
};

}  // namespace nsmp::proxy
