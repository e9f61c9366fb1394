#include "metrics/health.h"

#include <cerrno>
#include <set>

#include <fmt/format.h>

#include "net/socket.h"

namespace nsmp::metrics {

std::vector<std::string> healthProblems(std::span<const ListenerHealth> listeners) {
  std::vector<std::string> problems;
  std::set<std::string_view> probed;
  for (const ListenerHealth& l : listeners) {
    if (!l.accepting) {
      problems.push_back(fmt::format("{} {}: not accepting connections", l.kind, l.uuid));
    }
    if (!probed.insert(l.upstream_socket).second) continue;
    Result<net::Fd> fd = net::connectUnix(std::string(l.upstream_socket));
    if (!fd && fd.status().sysError() != EAGAIN) {
      problems.push_back(
          fmt::format("agent socket {} unreachable: {}", l.upstream_socket, fd.status().message()));
    }
  }
  return problems;
}

}  // namespace nsmp::metrics
