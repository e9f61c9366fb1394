// Who opens a listener's sockets inside its namespace. Entering a namespace
// (setns) and binding port 80 need root; serving VM traffic does not. So a
// node started with --user forks, before it drops privileges, a small helper
// that stays root and does nothing but open sockets on request: the node
// asks it over a socketpair and gets the bound sockets back (SCM_RIGHTS).
// Without --user the node opens them itself.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "daemon/startup_result.h"
#include "net/fd.h"
#include "proxy/config.h"

namespace nsmp::node {

class SocketOpener {
 public:
  virtual ~SocketOpener() = default;
  // Binds and listens on config.binds inside config.netns. On failure sets
  // *error ("netns qdhcp-X: No such file or directory", "cannot listen on
  // 169.254.169.254:80 in qdhcp-X: bind: Address already in use").
  virtual bool open(const proxy::ListenerConfig& config, std::vector<net::Fd>* out,
                    std::string* error) = 0;
};

// In this process (the node is root).
daemon::StartupResult<std::unique_ptr<SocketOpener>> localOpener();

// Forks the root helper; call while still root, before anything else is
// opened that the helper should not hold. The helper exits when the node
// closes its end or dies. The returned opener asks it.
daemon::StartupResult<std::unique_ptr<SocketOpener>> startHelper();

// At most this many addresses per listener (one message carries their fds).
inline constexpr size_t kMaxBinds = 16;

}  // namespace nsmp::node
