// The node: the listeners of many networks and routers in one process, added
// and removed at runtime. The Worker owns the listeners and serves them; the
// node names them by uuid, has each one's sockets opened inside its
// namespace and refuses what would clash. Nothing here runs per request, and
// nothing here waits: a listener in another namespace is added when the root
// helper's answer arrives, while the event loop goes on serving the others.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "node/opener.h"
#include "proxy/config.h"
#include "proxy/worker.h"

namespace nsmp::node {

class Node {
 public:
  using Added = Result<proxy::Listener*>;
  using AddDone = std::function<void(Added)>;

  // `opener` opens sockets in other namespaces.
  Node(proxy::Worker& worker, std::unique_ptr<SocketOpener> opener);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Opens config.binds inside config.netns and starts serving; calls `done`
  // exactly once with the listener or why not. In the node's own namespace
  // (netns empty) the node binds itself, with its own privileges, and `done`
  // runs before add() returns; in another one `done` runs when the helper
  // has answered. Refused with nothing changed when the uuid is served or
  // being added already, the namespace cannot be entered, an address cannot
  // be bound, or the node is shutting down.
  void add(proxy::ListenerConfig config, AddDone done);

  // Stops accepting for `uuid` at once; returns the sessions left to finish.
  // A uuid still being added is cancelled instead: its add is answered "was
  // removed while it was being added" at once, and the sockets the helper
  // opens for it later are closed unused.
  Result<size_t> remove(const std::string& uuid);

  // Served and draining listeners, oldest first.
  std::vector<const proxy::Listener*> listeners() const;
  // Adds waiting for the helper (cancelled ones included until it answers).
  size_t pendingAdds() const { return pending_.size(); }

 private:
  struct Pending {
    uint64_t id;
    proxy::ListenerConfig config;
    AddDone done;  // empty once answered (cancelled)
  };

  proxy::Listener* find(const std::string& uuid) const;  // served, not draining
  Pending* findPending(const std::string& uuid);         // not cancelled
  void opened(uint64_t id, SocketOpener::Opened sockets);
  Added start(proxy::ListenerConfig config, std::vector<net::Fd> sockets);
  void cancel(Pending& p, const std::string& why);
  void failPendingOnShutdown();

  proxy::Worker& worker_;
  std::unique_ptr<SocketOpener> opener_;
  std::list<Pending> pending_;  // in the order they were asked for
  uint64_t next_id_ = 1;
  // Reached by the loop's turn hook, which must not outlive the node.
  std::shared_ptr<Node*> self_;
};

// "network", "router" (OVN networks are networks).
std::string_view identityNoun(proxy::IdentityKind kind);

}  // namespace nsmp::node
