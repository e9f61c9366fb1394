#include "haproxy/header_rules.h"

#include <fmt/format.h>
#include <strings.h>

#include <array>

#include "proxy/listener_id.h"

namespace nsmp::haproxy {
namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

constexpr std::string_view kNetworkHeader = "X-Neutron-Network-ID";
constexpr std::string_view kRouterHeader = "X-Neutron-Router-ID";
constexpr std::string_view kOvnHeader = "X-OVN-Network-ID";

}  // namespace

bool isAlwaysStrippedHeader(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kNames{
      kNetworkHeader, kRouterHeader,     kOvnHeader,  "X-Instance-ID", "X-Instance-ID-Signature",
      "X-Tenant-ID",  "X-Forwarded-For", "Forwarded", "X-Real-IP"};
  for (std::string_view n : kNames) {
    if (equalsIgnoreCase(n, name)) return true;
  }
  return false;
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
  std::optional<Assigned>* slot = nullptr;
  if (equalsIgnoreCase(w[1], kNetworkHeader)) {
    slot = &network_;
  } else if (equalsIgnoreCase(w[1], kRouterHeader)) {
    slot = &router_;
  } else if (equalsIgnoreCase(w[1], kOvnHeader)) {
    slot = &ovn_;
  } else {
    return invalidArgument(fmt::format(
        "{} '{}' is not supported (only {}, {} or {}: the engine sends no other added headers)",
        action, w[1], kNetworkHeader, kRouterHeader, kOvnHeader));
  }
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
                    ovn_->line, kOvnHeader, other.line));
  }
  if (network_) {
    id.kind = proxy::IdentityKind::kNetwork;
    id.value = network_->value;
    if (router_) {
      warnings->push_back(fmt::format(
          "line {}: both {} and {} are set; sending only the network id, as the command line does",
          router_->line, kNetworkHeader, kRouterHeader));
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
        listen_line, kNetworkHeader, kRouterHeader, kOvnHeader));
  }
  return id;
}

}  // namespace nsmp::haproxy
