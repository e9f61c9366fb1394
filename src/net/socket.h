// Creating sockets: TCP listeners for the VM side, UNIX connections for the
// upstream side. All sockets are non-blocking and close-on-exec.
#pragma once

#include <string>

#include "base/result.h"
#include "net/fd.h"

namespace nsmp::net {

struct ListenSpec {
  std::string host;       // IPv4 or IPv6 literal
  uint16_t port = 0;      // 0: ephemeral
  std::string interface;  // non-empty: SO_BINDTODEVICE and the IPv6 scope
  int backlog = 4096;
};

// Binds and listens. IPv6 sockets are IPV6_V6ONLY so that an IPv4 and an IPv6
// listener on the same port can coexist, as in Neutron's two bind lines.
Result<Fd> listenTcp(const ListenSpec& spec);

// Connects a non-blocking UNIX stream socket. For AF_UNIX the kernel answers
// at once: success, or an error such as ECONNREFUSED/ENOENT (nobody listening)
// or EAGAIN (the listener's backlog is full) -- there is no "in progress".
Result<Fd> connectUnix(const std::string& path);

// Starts listening on a UNIX socket path (replacing a stale socket file).
Result<Fd> listenUnix(const std::string& path, int backlog = 4096);

}  // namespace nsmp::net
