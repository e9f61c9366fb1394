// Entering another network namespace to open sockets there. A socket stays in
// the namespace it was created in for its whole life, so the node enters a
// namespace, opens a listener's sockets and comes straight back; the event
// loop then serves every listener from the node's own namespace. The node is
// single-threaded: nothing else runs while it is away.
#pragma once

#include <functional>
#include <string>

#include "daemon/startup_result.h"
#include "net/fd.h"

namespace nsmp::node {

// "qdhcp-<id>" -> "/run/netns/qdhcp-<id>"; an absolute path ("/proc/<pid>/ns/net")
// as it is. Refuses names that could leave /run/netns ("", ".", "..", '/').
daemon::StartupResult<std::string> netnsPath(const std::string& netns);

class NamespaceSwitch {
 public:
  // Remembers the namespace the process is in now (its home).
  static daemon::StartupResult<NamespaceSwitch> open();

  // Runs `work` inside `netns` (empty: at home, without switching) and comes
  // back. `work` returns false and sets its error to fail. Errors name the
  // namespace: "netns qdhcp-X: No such file or directory".
  daemon::StartupStatus runIn(const std::string& netns,
                              const std::function<bool(std::string*)>& work);

 private:
  explicit NamespaceSwitch(net::Fd home) : home_(std::move(home)) {}
  net::Fd home_;
};

}  // namespace nsmp::node
