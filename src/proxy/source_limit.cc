#include "proxy/source_limit.h"

namespace nsmp::proxy {

bool SourceLimit::tryOpen(const net::PeerAddress& peer) {
  if (max_ == 0) return true;
  uint32_t& n = open_[net::IpKey::of(peer)];
  if (n >= max_) return false;
  ++n;
  return true;
}

void SourceLimit::close(const net::PeerAddress& peer) {
  if (max_ == 0) return;
  auto it = open_.find(net::IpKey::of(peer));
  if (it == open_.end()) return;
  if (--it->second == 0) open_.erase(it);
}

}  // namespace nsmp::proxy
