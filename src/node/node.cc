#include "node/node.h"

#include <fmt/format.h>

#include "base/log.h"
#include "proxy/listener.h"

namespace nsmp::node {

const char* identityNoun(proxy::IdentityKind kind) {
  return kind == proxy::IdentityKind::kRouter ? "router" : "network";
}

Node::Node(proxy::Worker& worker, std::unique_ptr<SocketOpener> opener)
    : worker_(worker), opener_(std::move(opener)) {}

proxy::Listener* Node::find(const std::string& uuid) const {
  for (const auto& l : worker_.listeners()) {
    if (!l->retiring() && l->config().uuid == uuid) return l.get();
  }
  return nullptr;
}

daemon::StartupResult<proxy::Listener*> Node::add(proxy::ListenerConfig config) {
  const char* noun = identityNoun(config.identity.kind);
  if (worker_.shuttingDown()) return daemon::StartupError{"the node is shutting down"};
  if (find(config.uuid)) {
    return daemon::StartupError{
        fmt::format("{} {} is already served (remove it first)", noun, config.uuid)};
  }
  std::string where = config.netns.empty() ? "" : " in " + config.netns;
  std::vector<net::Fd> sockets;
  std::string error;
  if (!opener_->open(config, &sockets, &error)) return daemon::StartupError{error};

  config.log_tag = fmt::format("{} {}: ", noun, config.uuid);
  std::string uuid = config.uuid;
  std::string upstream = config.upstream_socket;
  Result<proxy::Listener*> listener = worker_.addListener(std::move(config), std::move(sockets));
  if (!listener) {
    return daemon::StartupError{fmt::format("{} {}: {}", noun, uuid, listener.status().message())};
  }
  log::info("{} {}{}: listening on {} -> {}", noun, uuid, where, (*listener)->describe(), upstream);
  return *listener;
}

daemon::StartupResult<size_t> Node::remove(const std::string& uuid) {
  proxy::Listener* listener = find(uuid);
  if (!listener) return daemon::StartupError{uuid + " is not served"};
  const char* noun = identityNoun(listener->config().identity.kind);
  worker_.retireListener(listener);  // may free it at the end of this loop turn
  size_t left = listener->sessionCount();
  log::info("{} {}: removed; {} connection(s) finishing", noun, uuid, left);
  return left;
}

std::vector<const proxy::Listener*> Node::listeners() const {
  std::vector<const proxy::Listener*> out;
  for (const auto& l : worker_.listeners()) out.push_back(l.get());
  return out;
}

}  // namespace nsmp::node
