// The node's root helper: a process forked at start-up that keeps root and
// does one thing for the node -- open a listener's TCP listening sockets
// inside a network namespace (setns needs CAP_SYS_ADMIN, port 80 needs
// root) and hand them back over a socketpair (node/helper_protocol). The node
// itself never enters another namespace, so serving never waits for one;
// with --user it also never holds root.
//
// What a compromised node can get from the helper, and nothing more: TCP
// sockets listening on an IP address and port (any, including 1-1023) it
// names, optionally bound to a device, inside a network namespace named
// under /run/netns or by /proc/<pid>/ns/net -- but never the helper's own
// (the host's) namespace, where the node binds for itself with its own
// privileges. docs/node.md says why that is the bound.
#pragma once

#include <sys/types.h>

#include "base/result.h"
#include "net/fd.h"

namespace nsmp::node {

struct HelperProcess {
  net::Fd channel;  // the node's end: one request, one reply (node/helper_protocol)
  pid_t pid = -1;
};

// Forks the helper; call while still root. The helper keeps no descriptor
// but the channel and stdin/stdout/stderr, answers requests in order, one at
// a time, and exits when the node closes its end or dies.
Result<HelperProcess> forkHelper();

}  // namespace nsmp::node
