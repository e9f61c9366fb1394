#include "proxy/rate_limiter.h"

namespace nsmp::proxy {

double RateLimiter::Window::hit(event::TimePoint now, Millis period) {
  if (start == event::TimePoint{}) start = now;
  auto elapsed = now - start;
  if (elapsed >= period) {
    auto periods = elapsed / period;
    previous = periods == 1 ? current : 0;
    current = 0;
    start += period * periods;
    elapsed = now - start;
  }
  ++current;
  double remaining = 1.0 - std::chrono::duration<double>(elapsed) / period;
  return current + previous * remaining;
}

void RateLimiter::expire(event::TimePoint now) {
  while (!lru_.empty()) {
    auto it = map_.find(lru_.front());
    if (now - it->second.last < config_.expire) break;
    map_.erase(it);
    lru_.pop_front();
  }
}

bool RateLimiter::overLimit(const net::PeerAddress& peer, event::TimePoint now) {
  expire(now);
  const net::IpKey key = net::IpKey::of(peer);
  auto it = map_.find(key);
  if (it == map_.end()) {
    if (map_.size() >= config_.table_size && !lru_.empty()) {
      map_.erase(lru_.front());
      lru_.pop_front();
    }
    it = map_.emplace(key, Entry{}).first;
    it->second.lru = lru_.insert(lru_.end(), key);
  } else {
    lru_.splice(lru_.end(), lru_, it->second.lru);
  }
  Entry& e = it->second;
  e.last = now;
  double base = e.base.hit(now, config_.base_window);
  double burst = e.burst.hit(now, config_.burst_window);
  return base > config_.base_limit || burst > config_.burst_limit;
}

}  // namespace nsmp::proxy
