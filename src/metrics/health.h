// Whether the proxy can serve: every listener still accepts, and every
// agent socket the listeners forward to takes a connection. The probe is a
// non-blocking connect() to the UNIX path, which the kernel answers at once
// (net::connectUnix: success, ENOENT, ECONNREFUSED, or EAGAIN when the
// agent's backlog is full -- busy, but there: counted as reachable); the
// connection is closed unused. Run only when asked (/healthz, `ctl health`).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nsmp::metrics {

struct ListenerHealth {
  std::string_view uuid;
  std::string_view kind;  // "network", "router"
  bool accepting = true;
  std::string_view upstream_socket;
};

// One line per problem ("network <uuid>: not accepting connections",
// "agent socket /path unreachable: No such file or directory"); empty when
// healthy. Each distinct socket path is probed once.
std::vector<std::string> healthProblems(std::span<const ListenerHealth> listeners);

}  // namespace nsmp::metrics
