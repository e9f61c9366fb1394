// Who opens a listener's sockets inside another network namespace, without
// the node's event loop ever waiting for it: the request goes to the root
// helper (node/helper), the loop goes on serving, and the answer is handed
// to a callback when the helper's reply arrives.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "base/result.h"
#include "event/loop.h"
#include "net/fd.h"
#include "node/helper.h"
#include "proxy/config.h"

namespace nsmp::node {

class SocketOpener {
 public:
  // The sockets, one per config.binds entry in order, or why not
  // ("netns qdhcp-X: No such file or directory", "cannot listen on
  // 169.254.169.254:80 in qdhcp-X: bind: Address already in use").
  using Opened = Result<std::vector<net::Fd>>;
  using Done = std::function<void(Opened)>;

  virtual ~SocketOpener() = default;
  // Binds and listens on config.binds inside config.netns (not empty). Calls
  // `done` exactly once, from the event loop, possibly before returning;
  // requests are answered in the order they were made. Never called after
  // the opener is destroyed.
  virtual void open(const proxy::ListenerConfig& config, Done done) = 0;
};

// Asks the helper over its channel, one request at a time, the others
// queued. When the helper is gone every request fails.
Result<std::unique_ptr<SocketOpener>> helperOpener(event::Loop& loop, HelperProcess helper);

}  // namespace nsmp::node
