// Socket addresses: parsing what an operator types, printing what logs and
// the X-Forwarded-For header need.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
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

// An IP address given as text: by an operator (--bind_host, a haproxy bind
// line), in the metadata data file or in X-Forwarded-For.
struct IpAddress {
  uint8_t family = 0;               // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4

  bool operator==(const IpAddress&) const = default;
  bool v6() const { return family == AF_INET6; }
  // RFC 4291 section 2.5.6: fe80::/10.
  bool isLinkLocalV6() const { return v6() && bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80; }
  // An IPv4-mapped IPv6 address ("::ffff:192.0.2.10", RFC 4291 section
  // 2.5.5.2) as the IPv4 address it maps; any other address as it is.
  IpAddress unmapped() const;
  std::string text() const;  // "192.0.2.10", "2001:db8::1"
};

// The one parser of IP literals: exactly one IPv4 or IPv6 address, nothing
// around it (no spaces, brackets, port or %zone; see splitHost for those).
std::optional<IpAddress> parseIp(std::string_view text);

// A host as operators write it, "[fe80::1%eth0]" or "192.0.2.1": one pair of
// brackets removed, the text after '%' split off as the zone. No check of
// either part.
struct HostText {
  std::string_view address;
  std::string_view zone;
  bool bracketed = false;
};
HostText splitHost(std::string_view host);

// Parses an IPv4 or IPv6 literal (brackets allowed for IPv6) with a port and
// optional interface (needed for link-local IPv6) into a sockaddr.
Status makeSockaddr(std::string_view host, uint16_t port, std::string_view interface,
                    sockaddr_storage* out, socklen_t* len);

// "127.0.0.1:9697" / "[fe80::a9fe:a9fe%eth0]:9697" / a UNIX socket's path, for
// the local end of `fd`.
std::string localAddress(int fd);

}  // namespace nsmp::net
