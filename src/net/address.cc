#include "net/address.h"

#include <sys/un.h>

#include <arpa/inet.h>
#include <net/if.h>

#include <cstdio>
#include <cstring>

namespace nsmp::net {

PeerAddress PeerAddress::from(const sockaddr_storage& ss) {
  PeerAddress p;
  if (ss.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    p.family = AF_INET;
    p.port = ntohs(in.sin_port);
    std::memcpy(p.bytes, &in.sin_addr, 4);
  } else if (ss.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
    p.port = ntohs(in6.sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
      p.family = AF_INET;
      std::memcpy(p.bytes, in6.sin6_addr.s6_addr + 12, 4);
    } else {
      p.family = AF_INET6;
      std::memcpy(p.bytes, in6.sin6_addr.s6_addr, 16);
    }
  }
  return p;
}

IpKey IpKey::of(const PeerAddress& peer) {
  IpKey k;
  k.family = peer.family;
  std::memcpy(k.bytes, peer.bytes, sizeof k.bytes);
  return k;
}

bool IpKey::operator==(const IpKey& o) const {
  return family == o.family && std::memcmp(bytes, o.bytes, sizeof bytes) == 0;
}

size_t IpKeyHash::operator()(const IpKey& k) const {
  // FNV-1a over the address bytes.
  uint64_t h = 1469598103934665603ull ^ k.family;
  for (uint8_t b : k.bytes) h = (h ^ b) * 1099511628211ull;
  return static_cast<size_t>(h);
}

size_t PeerAddress::formatIp(char* out) const {
  if (!::inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, bytes, out, INET6_ADDRSTRLEN)) {
    std::strcpy(out, "unknown");
  }
  return std::strlen(out);
}

std::string PeerAddress::ip() const {
  char buf[INET6_ADDRSTRLEN];
  return std::string(buf, formatIp(buf));
}

std::string PeerAddress::ipPort() const {
  char buf[INET6_ADDRSTRLEN + 16];
  char* p = buf;
  if (family == AF_INET6) *p++ = '[';
  p += formatIp(p);
  if (family == AF_INET6) *p++ = ']';
  p += std::snprintf(p, 8, ":%u", static_cast<unsigned>(port));
  return std::string(buf, static_cast<size_t>(p - buf));
}

IpAddress IpAddress::unmapped() const {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!v6() || std::memcmp(bytes.data(), kMappedPrefix, sizeof kMappedPrefix) != 0) return *this;
  IpAddress v4;
  v4.family = AF_INET;
  std::memcpy(v4.bytes.data(), bytes.data() + 12, 4);
  return v4;
}

std::string IpAddress::text() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v6() ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddress> parseIp(std::string_view text) {
  // inet_pton reads a C string: copy into a terminated buffer, and refuse an
  // embedded NUL, which would make "192.0.2.1\0junk" read as 192.0.2.1.
  // The longest literal ("ffff:...:255.255.255.255") has 45 characters.
  char literal[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof literal || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::memcpy(literal, text.data(), text.size());
  literal[text.size()] = '\0';
  IpAddress ip;
  if (::inet_pton(AF_INET, literal, ip.bytes.data()) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (::inet_pton(AF_INET6, literal, ip.bytes.data()) == 1) {
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

HostText splitHost(std::string_view host) {
  HostText out;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    out.bracketed = true;
  }
  if (size_t pct = host.find('%'); pct != std::string_view::npos) {
    out.zone = host.substr(pct + 1);
    host = host.substr(0, pct);
  }
  out.address = host;
  return out;
}

Status makeSockaddr(std::string_view host, uint16_t port, std::string_view interface,
                    sockaddr_storage* out, socklen_t* len) {
  std::memset(out, 0, sizeof *out);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::optional<IpAddress> ip = parseIp(host);
  if (ip && !ip->v6()) {
    auto* in = reinterpret_cast<sockaddr_in*>(out);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, ip->bytes.data(), 4);
    *len = sizeof(sockaddr_in);
    return {};
  }
  if (ip) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(out);
    std::memcpy(&in6->sin6_addr, ip->bytes.data(), 16);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    if (!interface.empty()) {
      unsigned idx = ::if_nametoindex(std::string(interface).c_str());
      if (idx == 0) return Status(Code::kNotFound, "unknown interface " + std::string(interface));
      if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) in6->sin6_scope_id = idx;
    }
    *len = sizeof(sockaddr_in6);
    return {};
  }
  return Status(Code::kInvalidArgument, "not an IPv4 or IPv6 address");
}

std::string localAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  if (ss.ss_family == AF_UNIX) {
    const auto& un = reinterpret_cast<const sockaddr_un&>(ss);
    return std::string(un.sun_path, ::strnlen(un.sun_path, sizeof un.sun_path));
  }
  PeerAddress p = PeerAddress::from(ss);
  if (ss.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
    if (in6.sin6_scope_id != 0 && !IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
      char name[IF_NAMESIZE] = {};
      if (::if_indextoname(in6.sin6_scope_id, name)) {
        char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 16];
        char ip[INET6_ADDRSTRLEN];
        p.formatIp(ip);
        int n =
            std::snprintf(buf, sizeof buf, "[%s%%%s]:%u", ip, name, static_cast<unsigned>(p.port));
        return std::string(buf, static_cast<size_t>(n));
      }
    }
  }
  return p.ipPort();
}

}  // namespace nsmp::net
