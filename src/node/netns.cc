#include "node/netns.h"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/log.h"

namespace nsmp::node {

daemon::StartupResult<std::string> netnsPath(const std::string& netns) {
  if (!netns.empty() && netns.front() == '/') return netns;
  if (netns.empty() || netns == "." || netns == ".." || netns.find('/') != std::string::npos ||
      netns.size() > 255) {
    return daemon::StartupError{"netns '" + netns +
                                "': not a namespace name (as in /run/netns) or an absolute path"};
  }
  return "/run/netns/" + netns;
}

daemon::StartupResult<NamespaceSwitch> NamespaceSwitch::open() {
  net::Fd home(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home.valid()) {
    return daemon::StartupError{std::string("cannot open /proc/self/ns/net: ") +
                                std::strerror(errno)};
  }
  return NamespaceSwitch(std::move(home));
}

daemon::StartupStatus NamespaceSwitch::runIn(const std::string& netns,
                                             const std::function<bool(std::string*)>& work) {
  std::string error;
  if (netns.empty()) {
    if (!work(&error)) return daemon::StartupError{error};
    return {};
  }
  auto path = netnsPath(netns);
  if (!path) return daemon::StartupError{path.error()};
  net::Fd target(::open(path->c_str(), O_RDONLY | O_CLOEXEC));
  if (!target.valid()) {
    return daemon::StartupError{"netns " + netns + ": " + std::strerror(errno)};
  }
  if (::setns(target.get(), CLONE_NEWNET) != 0) {
    int err = errno;
    return daemon::StartupError{"netns " + netns + ": " +
                                (err == EINVAL ? "not a network namespace" : std::strerror(err))};
  }
  bool ok = work(&error);
  if (::setns(home_.get(), CLONE_NEWNET) != 0) {
    // Staying in a VM network's namespace would open the next listener
    // there: stop rather than serve from the wrong place.
    log::error("cannot return to the node's own network namespace: {}", std::strerror(errno));
    log::flush();
    std::abort();
  }
  if (!ok) return daemon::StartupError{error};
  return {};
}

}  // namespace nsmp::node
