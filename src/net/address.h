// Socket addresses: parsing what an operator types, printing what logs and
// the X-Forwarded-For header need.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace nsmp::net {

// A peer address, compact enough to keep per connection (also the rate
// limiter's key). IPv4-mapped IPv6 addresses are stored as IPv4.
struct PeerAddress {
  uint8_t family = 0;  // AF_INET or AF_INET6
  uint16_t port = 0;
  uint8_t bytes[16] = {};

  static PeerAddress from(const sockaddr_storage& ss);
  // The bare IP ("192.0.2.5", "2001:db8::1"): what X-Forwarded-For carries.
  // Returns the length written; `out` needs 46 bytes.
  size_t formatIp(char* out) const;
  std::string ip() const;
  std::string ipPort() const;  // "192.0.2.5:41000", "[2001:db8::1]:41000"
};

// A peer's address without its port: what per-source limits count by.
struct IpKey {
  uint8_t family = 0;
  uint8_t bytes[16] = {};

  static IpKey of(const PeerAddress& peer);
  bool operator==(const IpKey& o) const;
};
struct IpKeyHash {
  size_t operator()(const IpKey& k) const;
};

// Parses an IPv4 or IPv6 literal (brackets allowed for IPv6) with a port and
// optional interface (needed for link-local IPv6) into a sockaddr.
Status makeSockaddr(std::string_view host, uint16_t port, std::string_view interface,
                    sockaddr_storage* out, socklen_t* len);

// "127.0.0.1:9697" / "[fe80::a9fe:a9fe%eth0]:9697" / a UNIX socket's path, for
// the local end of `fd`.
std::string localAddress(int fd);

}  // namespace nsmp::net
