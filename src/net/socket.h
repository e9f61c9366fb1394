// Creating sockets: TCP listeners for the VM side, UNIX connections for the
// upstream side. All sockets are non-blocking and close-on-exec.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/result.h"
#include "net/fd.h"

namespace nsmp::net {

struct ListenSpec {
  std::string host;       // IPv4 or IPv6 literal
  uint16_t port = 0;      // 0: ephemeral
  std::string interface;  // non-empty: SO_BINDTODEVICE and the IPv6 scope
  int backlog = 4096;
  // IPv6 sockets only: false makes "::" also accept IPv4 (as ::ffff:a.b.c.d),
  // which Neutron's "bind :::9697" relies on behind the IPv4 REDIRECT rule.
  bool v6only = true;
};

// Binds and listens. IPv6 sockets are IPV6_V6ONLY unless spec.v6only is false,
// so that an IPv4 and an IPv6 listener on the same port can coexist.
Result<Fd> listenTcp(const ListenSpec& spec);

// Connects a non-blocking UNIX stream socket. For AF_UNIX the kernel answers
// at once: success, or an error such as ECONNREFUSED/ENOENT (nobody listening)
// or EAGAIN (the listener's backlog is full) -- there is no "in progress".
Result<Fd> connectUnix(const std::string& path);

// Starts listening on a UNIX socket path. A socket file nobody answers on
// (stale) is replaced; one that answers, or whose backlog is full, belongs to
// a running process: refused with Code::kAlreadyExists, the file left alone.
// With a `mode` (e.g. 0600) the file is created with exactly that mode, with
// no moment where it is wider; without, the umask decides.
Result<Fd> listenUnix(const std::string& path, int backlog = 4096,
                      std::optional<mode_t> mode = std::nullopt);

}  // namespace nsmp::net
