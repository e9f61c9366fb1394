// Naming, opening and entering network namespaces. A socket stays in the
// namespace it was created in for its whole life, so the root helper
// (node/helper) enters a namespace, opens a listener's sockets there and
// comes straight back.
//
// What may be named is deliberately narrow, because the helper does it as
// root on behalf of a node that may be compromised: a name under /run/netns
// (what `ip netns add` creates, as Neutron's agents do) or the namespace of a
// process, /proc/<pid>/ns/net. Nothing else is opened, so the helper cannot
// be used to probe or open other files, and what is opened is checked to be
// a network namespace before it is entered.
#pragma once

#include <functional>
#include <string>

#include "base/result.h"
#include "net/fd.h"

namespace nsmp::node {

// "qdhcp-<id>" and "/run/netns/qdhcp-<id>" -> "/run/netns/qdhcp-<id>";
// "/proc/<pid>/ns/net" as it is. A name is one path component of letters,
// digits and "-_.:@+", 1-255 characters, not starting with '.'; a pid is
// decimal without a leading zero. Anything else is refused.
Result<std::string> netnsPath(const std::string& netns);

// Opens the namespace `netns` names, as netnsPath() allows it, for setns().
// Never blocks and never opens anything but a regular file: a FIFO, a device
// or a directory is refused before it is opened, and the file opened must be
// a network namespace (nsfs, NS_GET_NSTYPE). Errors name the namespace:
// "netns qdhcp-X: No such file or directory", "netns X: not a network
// namespace (a FIFO)".
Result<net::Fd> openNetns(const std::string& netns);

// True when `a` and `b` are handles on the same namespace.
bool sameNamespace(int a, int b);

class NamespaceSwitch {
 public:
  // Remembers the namespace the calling thread is in now (its home).
  static Result<NamespaceSwitch> open();

  int home() const { return home_.get(); }

  // Enters `target` (from openNetns), runs `work` there and comes back; the
  // result is work's, or why the namespace could not be entered. A process
  // that cannot return home must not open anything else: it exits (status 1).
  Status runIn(const std::string& netns, int target, const std::function<Status()>& work);

 private:
  explicit NamespaceSwitch(net::Fd home) : home_(std::move(home)) {}
  net::Fd home_;
};

}  // namespace nsmp::node
