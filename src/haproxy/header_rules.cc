#include "haproxy/header_rules.h"

#include <fmt/format.h>

#include "http/header_names.h"
#include "http/identity.h"
#include "proxy/listener_id.h"

namespace nsmp::haproxy {
namespace {

using http::IdentityKind;

std::string_view header(IdentityKind kind) { return http::identityInfo(kind).header; }

}  // namespace

// Exactly what the engine drops from every request (http/header_names.h).
bool isAlwaysStrippedHeader(std::string_view name) {
  return http::classifyRequestHeader(name) == http::HeaderClass::kIdentity;
}

Status HeaderRules::add(int line, const std::vector<std::string>& w) {
  const std::string& action = w[0];
  if (action == "del-header") {
    // "del-header _ -m sub" (every name containing '_'): the engine never
    // forwards such names, and the haproxy engine's config writes this line.
    if (w.size() == 4 && w[1] == "_" && w[2] == "-m" && w[3] == "sub") return {};
    if (w.size() != 2) {
      return invalidArgument(
          "del-header with options or conditions is not supported (del-header <name>)");
    }
    if (!isAlwaysStrippedHeader(w[1])) {
      return invalidArgument(fmt::format(
          "del-header '{}' is not supported (only identity and forwarding headers, which the "
          "engine always removes)",
          w[1]));
    }
    return {};
  }
  // set-header / add-header NAME VALUE
  if (w.size() < 3)
    return invalidArgument(fmt::format("{} needs a header name and a value", action));
  if (w.size() > 3) {
    return invalidArgument(fmt::format(
        "{} with more than a name and a value (a condition?) is not supported", action));
  }
  const std::optional<IdentityKind> kind = http::identityForHeader(w[1]);
  if (!kind) {
    return invalidArgument(fmt::format(
        "{} '{}' is not supported (only {}, {} or {}: the engine sends no other added headers)",
        action, w[1], header(IdentityKind::kNetwork), header(IdentityKind::kRouter),
        header(IdentityKind::kOvnNetwork)));
  }
  std::optional<Assigned>* slot = *kind == IdentityKind::kNetwork  ? &network_
                                  : *kind == IdentityKind::kRouter ? &router_
                                                                   : &ovn_;
  // The value becomes the listener's id (see proxy/listener_id.h); a '%'
  // would be a log-format expression to haproxy.
  if (!proxy::isSafeId(w[2])) return invalidArgument("header value " + proxy::idProblem(w[2]));
  if (slot->has_value() && (*slot)->value != w[2]) {
    return invalidArgument(fmt::format("{} was already given the value '{}' on line {}", w[1],
                                       (*slot)->value, (*slot)->line));
  }
  if (!slot->has_value()) *slot = Assigned{line, w[2]};
  return {};
}

Result<proxy::Identity> HeaderRules::finish(int listen_line,
                                            std::vector<std::string>* warnings) const {
  proxy::Identity id;
  if (ovn_ && (network_ || router_)) {
    const Assigned& other = network_ ? *network_ : *router_;
    return invalidArgument(
        fmt::format("line {}: {} together with a Neutron identity header (line {}) is ambiguous",
                    ovn_->line, header(IdentityKind::kOvnNetwork), other.line));
  }
  if (network_) {
    id.kind = proxy::IdentityKind::kNetwork;
    id.value = network_->value;
    if (router_) {
      warnings->push_back(fmt::format(
          "line {}: both {} and {} are set; sending only the network id, as the command line does",
          router_->line, header(IdentityKind::kNetwork), header(IdentityKind::kRouter)));
    }
  } else if (router_) {
    id.kind = proxy::IdentityKind::kRouter;
    id.value = router_->value;
  } else if (ovn_) {
    id.kind = proxy::IdentityKind::kOvnNetwork;
    id.value = ovn_->value;
  } else {
    return invalidArgument(fmt::format(
        "line {}: the listener sets no identity header (http-request set-header {} <id>, {} or "
        "{})",
        listen_line, header(IdentityKind::kNetwork), header(IdentityKind::kRouter),
        header(IdentityKind::kOvnNetwork)));
  }
  return id;
}

}  // namespace nsmp::haproxy
