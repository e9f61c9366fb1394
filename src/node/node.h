// The node: the listeners of many networks and routers in one process, added
// and removed at runtime. The Worker owns the listeners and serves them; the
// node names them by uuid, opens each one's sockets inside its namespace and
// refuses what would clash. Nothing here runs per request.
#pragma once

#include <string>
#include <vector>

#include <memory>
#include "daemon/startup_result.h"

#include "node/opener.h"
#include "proxy/config.h"
#include "proxy/worker.h"

namespace nsmp::node {

class Node {
 public:
  Node(proxy::Worker& worker, std::unique_ptr<SocketOpener> opener);

  // Opens config.binds inside config.netns and starts serving. Refused, with
  // nothing changed, when the uuid is served already, the namespace cannot
  // be entered or an address cannot be bound.
  daemon::StartupResult<proxy::Listener*> add(proxy::ListenerConfig config);

  // Stops accepting for `uuid` at once; returns the sessions left to finish.
  daemon::StartupResult<size_t> remove(const std::string& uuid);

  // Served and draining listeners, oldest first.
  std::vector<const proxy::Listener*> listeners() const;

 private:
  proxy::Listener* find(const std::string& uuid) const;  // served, not draining

  proxy::Worker& worker_;
  std::unique_ptr<SocketOpener> opener_;
};

// "network", "router" (OVN networks are networks).
const char* identityNoun(proxy::IdentityKind kind);

}  // namespace nsmp::node
