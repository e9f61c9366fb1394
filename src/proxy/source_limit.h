// Open client connections per source address. maxconn bounds a listener's
// connections, but one VM alone could hold all of them and keep every other
// VM of the network waiting in the backlog; this caps what one address may
// hold open at once. Memory: one entry per address with a connection open.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "net/address.h"

namespace nsmp::proxy {

class SourceLimit {
 public:
  explicit SourceLimit(uint32_t max_per_source) : max_(max_per_source) {}

  // Counts a new connection from `peer`; false (and nothing counted) when
  // `peer` already holds the maximum. A maximum of 0 means no limit.
  bool tryOpen(const net::PeerAddress& peer);
  // A connection tryOpen() counted has closed.
  void close(const net::PeerAddress& peer);
  size_t addresses() const { return open_.size(); }

 private:
  uint32_t max_;
  std::unordered_map<net::IpKey, uint32_t, net::IpKeyHash> open_;
};

}  // namespace nsmp::proxy
