#include "node/helper_protocol.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "node/netns.h"

namespace nsmp::node {
namespace {

// Plain decimal as encodeRequest writes it: digits only, no sign, no
// leading zero, nothing around it.
std::optional<uint64_t> decimal(std::string_view s, uint64_t max) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

bool isIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  if (host.empty() || host.size() >= INET6_ADDRSTRLEN) return false;
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// What the kernel takes as a device name (dev_valid_name), printable ASCII only.
bool isInterfaceName(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name) {
    if (c <= ' ' || c > '~' || c == '/' || c == ':') return false;
  }
  return true;
}

Status malformed(const std::string& why) { return invalidArgument(std::string(kMalformed) + why); }

// A field as it may appear in a refusal: short, printable.
std::string shown(std::string_view field) {
  std::string out;
  for (char c : field.substr(0, 64)) out += (c >= ' ' && c <= '~') ? c : '?';
  if (field.size() > 64) out += "...";
  return out;
}

}  // namespace

std::string encodeRequest(const proxy::ListenerConfig& c) {
  std::string m = c.netns + '\0' + std::to_string(c.maxconn) + '\0';
  for (const proxy::BindAddress& b : c.binds) {
    m += b.host + '\0' + std::to_string(b.port) + '\0' + b.interface + '\0';
  }
  return m;
}

Result<proxy::ListenerConfig> decodeRequest(std::string_view m) {
  std::vector<std::string_view> f;
  while (!m.empty()) {
    size_t end = m.find('\0');
    if (end == std::string_view::npos) return malformed("it does not end with a NUL");
    f.push_back(m.substr(0, end));
    m.remove_prefix(end + 1);
  }
  if (f.size() < 5 || (f.size() - 2) % 3 != 0) {
    return malformed(std::to_string(f.size()) +
                     " fields; it takes the netns, maxconn and host, port, interface per address");
  }
  if ((f.size() - 2) / 3 > kMaxBinds) {
    return malformed("more than " + std::to_string(kMaxBinds) + " addresses");
  }
  proxy::ListenerConfig c;
  c.netns = std::string(f[0]);
  if (c.netns.empty()) {
    return malformed(
        "no netns; the node opens the listeners of its own namespace itself, with its own "
        "privileges");
  }
  if (auto path = netnsPath(c.netns); !path) return malformed(path.status().message());
  auto maxconn = decimal(f[1], kMaxMaxconn);
  if (!maxconn || *maxconn == 0) {
    return malformed("maxconn '" + shown(f[1]) + "' is not a number from 1 to 1000000");
  }
  c.maxconn = static_cast<uint32_t>(*maxconn);
  c.binds.clear();
  for (size_t i = 2; i < f.size(); i += 3) {
    proxy::BindAddress b;
    b.host = std::string(f[i]);
    if (!isIpLiteral(b.host)) {
      return malformed("host '" + shown(f[i]) + "' is not an IPv4 or IPv6 address");
    }
    auto port = decimal(f[i + 1], 65535);
    if (!port) return malformed("port '" + shown(f[i + 1]) + "' is not a number from 0 to 65535");
    b.port = static_cast<uint16_t>(*port);
    if (!f[i + 2].empty() && !isInterfaceName(f[i + 2])) {
      return malformed("interface '" + shown(f[i + 2]) +
                       "' is not a network interface name (1-15 characters, e.g. eth0)");
    }
    b.interface = std::string(f[i + 2]);
    c.binds.push_back(std::move(b));
  }
  return c;
}

bool sendMessage(int channel, std::string_view bytes, const std::vector<net::Fd>& fds) {
  if (fds.size() > kMaxBinds) {
    errno = EINVAL;
    return false;
  }
  iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxBinds)];
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    for (size_t i = 0; i < fds.size(); ++i) {
      int fd = fds[i].get();
      std::memcpy(CMSG_DATA(cm) + i * sizeof(int), &fd, sizeof fd);
    }
  }
  ssize_t n;
  do {
    n = ::sendmsg(channel, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(bytes.size());
}

Message receiveMessage(int channel) {
  Message out;
  char buf[kMaxMessage];
  iovec iov{buf, sizeof buf};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxBinds)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(channel, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    out.kind = errno == EAGAIN ? Message::Kind::kAgain : Message::Kind::kError;
    out.error = errno;
    return out;
  }
  // Every descriptor that came is owned (and so closed) by `out`, whatever
  // the message turns out to be.
  for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
      out.fds.emplace_back(fd);
    }
  }
  // A SOCK_SEQPACKET peer that has gone reads as an empty message.
  out.kind = n == 0 && out.fds.empty() ? Message::Kind::kEnd : Message::Kind::kMessage;
  out.bytes.assign(buf, static_cast<size_t>(n));
  out.truncated = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
  return out;
}

}  // namespace nsmp::node
