#include "node/node.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"
#include "node/netns.h"
#include "proxy/listen_sockets.h"
#include "proxy/listener.h"
#include "proxy/listener_id.h"

namespace nsmp::node {

std::string_view identityNoun(proxy::IdentityKind kind) { return http::identityInfo(kind).noun; }

Node::Node(proxy::Worker& worker, std::unique_ptr<SocketOpener> opener)
    : worker_(worker), opener_(std::move(opener)), self_(std::make_shared<Node*>(this)) {
  // Shutdown ends the loop once requests in flight are done, whatever the
  // helper is up to: adds still waiting for it are answered before that.
  worker_.loop().addTurnHook([self = std::weak_ptr<Node*>(self_)] {
    if (auto node = self.lock()) (*node)->failPendingOnShutdown();
  });
}

Node::~Node() = default;

proxy::Listener* Node::find(const std::string& uuid) const {
  for (const auto& l : worker_.listeners()) {
    if (!l->retiring() && l->config().uuid == uuid) return l.get();
  }
  return nullptr;
}

Node::Pending* Node::findPending(const std::string& uuid) {
  for (Pending& p : pending_) {
    if (p.done && p.config.uuid == uuid) return &p;
  }
  return nullptr;
}

void Node::add(proxy::ListenerConfig config, AddDone done) {
  std::string_view noun = identityNoun(config.identity.kind);
  if (worker_.shuttingDown())
    return done(Status(Code::kFailedPrecondition, "the node is shutting down"));
  // Both producers (app/cli, haproxy/config_parser) check it already; the
  // node checks again because the id tags its log lines and names its
  // listener in `ctl` for every namespace of the host.
  if (!proxy::isSafeId(config.uuid)) {
    return done(invalidArgument(fmt::format("{} id {}", noun, proxy::idProblem(config.uuid))));
  }
  if (find(config.uuid)) {
    return done(
        Status(Code::kAlreadyExists,
               fmt::format("{} {} is already served (remove it first)", noun, config.uuid)));
  }
  if (findPending(config.uuid)) {
    return done(Status(Code::kFailedPrecondition,
                       fmt::format("{} {} is being added already (wait for that add's answer)",
                                   noun, config.uuid)));
  }
  if (config.netns.empty()) {
    auto sockets = proxy::openListeningSockets(config, "");
    if (!sockets) return done(sockets.status());
    return done(start(std::move(config), std::move(*sockets)));
  }
  if (auto path = netnsPath(config.netns); !path) return done(path.status());
  uint64_t id = next_id_++;
  pending_.push_back({id, config, std::move(done)});
  opener_->open(config,
                [this, id](SocketOpener::Opened sockets) { opened(id, std::move(sockets)); });
}

void Node::opened(uint64_t id, SocketOpener::Opened sockets) {
  auto it =
      std::find_if(pending_.begin(), pending_.end(), [id](const Pending& p) { return p.id == id; });
  if (it == pending_.end()) return;
  Pending p = std::move(*it);
  pending_.erase(it);
  if (!p.done) return;  // answered already (removed, shutdown): the sockets close unused
  if (!sockets) return p.done(sockets.status());
  p.done(start(std::move(p.config), std::move(*sockets)));
}

Node::Added Node::start(proxy::ListenerConfig config, std::vector<net::Fd> sockets) {
  std::string_view noun = identityNoun(config.identity.kind);
  std::string where = config.netns.empty() ? "" : " in " + config.netns;
  config.log_tag = fmt::format("{} {}: ", noun, config.uuid);
  std::string uuid = config.uuid;
  std::string upstream = config.upstream_socket;
  Result<proxy::Listener*> listener = worker_.addListener(std::move(config), std::move(sockets));
  if (!listener) {
    return listener.status().withContext(fmt::format("{} {}", noun, uuid));
  }
  log::info("{} {}{}: listening on {} -> {}", noun, uuid, where, (*listener)->describe(), upstream);
  return *listener;
}

void Node::cancel(Pending& p, const std::string& why) {
  AddDone done = std::move(p.done);
  p.done = nullptr;
  done(Status(Code::kFailedPrecondition, why));
}

Result<size_t> Node::remove(const std::string& uuid) {
  if (proxy::Listener* listener = find(uuid)) {
    std::string_view noun = identityNoun(listener->config().identity.kind);
    worker_.retireListener(listener);  // may free it at the end of this loop turn
    size_t left = listener->sessionCount();
    log::info("{} {}: removed; {} connection(s) finishing", noun, uuid, left);
    return left;
  }
  if (Pending* p = findPending(uuid)) {
    std::string_view noun = identityNoun(p->config.identity.kind);
    log::info("{} {}: removed while it was being added", noun, uuid);
    cancel(*p, fmt::format("{} {} was removed while it was being added", noun, uuid));
    return size_t{0};
  }
  return Status(Code::kNotFound, uuid + " is not served");
}

void Node::failPendingOnShutdown() {
  if (!worker_.shuttingDown()) return;
  for (Pending& p : pending_) {
    if (p.done) cancel(p, "the node is shutting down");
  }
}

std::vector<const proxy::Listener*> Node::listeners() const {
  std::vector<const proxy::Listener*> out;
  for (const auto& l : worker_.listeners()) out.push_back(l.get());
  return out;
}

}  // namespace nsmp::node
