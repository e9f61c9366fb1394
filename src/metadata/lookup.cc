#include "metadata/lookup.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace nsmp::metadata {
namespace {

// One non-empty value, or "" when absent. Repeated headers: the agent's WSGI
// server joins them with ", ", which is never a valid id or address, so
// repeating is an error (reported by the caller as "malformed").
struct Single {
  std::string_view value;
  bool repeated = false;
};
Single single(const Request& request, std::string_view name) {
  auto values = request.headerValues(name);
  if (values.size() > 1) return {{}, true};
  return {values.empty() ? std::string_view() : values[0], false};
}

LookupResult refuse(int status, std::string message, std::string reason) {
  return {nullptr, status, std::move(message), std::move(reason)};
}

bool portMatches(const Port& port, const IpAddress& client) {
  if (std::find(port.addresses.begin(), port.addresses.end(), client) != port.addresses.end())
    return true;
  // A link-local client is known only by the MAC encoded in its address.
  return client.isLinkLocalV6() && port.mac && interfaceIdMatchesMac(client, *port.mac);
}

// Who asks, as the headers say: a network or a router, and the client.
struct Asker {
  std::string_view networkId;  // "" when a router is named
  std::string_view routerId;   // "" when a network is named
  IpAddress client;
};

// Reads the identity headers into `asker`, or returns the 400/404 refusal.
std::optional<LookupResult> readAsker(const Request& request, Asker* asker) {
  Single network = single(request, "X-Neutron-Network-ID");
  Single ovnNetwork = single(request, "X-OVN-Network-ID");
  Single router = single(request, "X-Neutron-Router-ID");
  Single forwarded = single(request, "X-Forwarded-For");
  // Neutron's agent reads only its two headers, OVN's only X-OVN-Network-ID:
  // a request with a Neutron id is the Neutron agent's, whatever OVN header
  // came along (haproxy with Neutron's config passes a VM's one through).
  bool neutron =
      !network.value.empty() || !router.value.empty() || network.repeated || router.repeated;
  if (neutron ? network.repeated || router.repeated : ovnNetwork.repeated)
    return refuse(400, "Repeated network or router ID header.", "repeated_id");
  std::string_view networkId = neutron ? network.value : ovnNetwork.value;
  if (!networkId.empty() && !router.value.empty())
    return refuse(400,
                  fmt::format("Both network {} and router {} defined.", networkId, router.value),
                  "both_ids");
  if (forwarded.repeated)
    return refuse(400, "More than one X-Forwarded-For header.", "bad_forwarded_for");
  auto client = parseIp(forwarded.value);
  if (!client)
    return refuse(400,
                  forwarded.value.empty()
                      ? std::string("X-Forwarded-For is missing.")
                      : fmt::format("X-Forwarded-For \"{}\" is not a single IPv4 or IPv6 address.",
                                    forwarded.value),
                  "bad_forwarded_for");
  if (networkId.empty() && router.value.empty())
    return refuse(404, "Instance was not found: no network or router ID given.", "no_id");
  *asker = {networkId, router.value, *client};
  return std::nullopt;
}

// The instances with a port on one of `networks` that `client` matches:
// how many, and the last one.
int countMatches(const Dataset& data, const std::vector<std::string_view>& networks,
                 const IpAddress& client, const Instance** found) {
  int matches = 0;
  for (const Instance& instance : data.instances) {
    bool hit = std::any_of(instance.ports.begin(), instance.ports.end(), [&](const Port& port) {
      return std::find(networks.begin(), networks.end(), port.networkId) != networks.end() &&
             portMatches(port, client);
    });
    if (hit) {
      *found = &instance;
      ++matches;
    }
  }
  return matches;
}

}  // namespace

LookupResult findInstance(const Dataset& data, const Request& request) {
  Asker asker;
  if (auto refused = readAsker(request, &asker)) return std::move(*refused);

  std::vector<std::string_view> networks;
  if (!asker.networkId.empty()) {
    networks.push_back(asker.networkId);
  } else {
    auto it = data.routers.find(std::string(asker.routerId));
    if (it == data.routers.end())
      return refuse(404, fmt::format("Instance was not found: no router {}.", asker.routerId),
                    "no_instance");
    for (const std::string& id : it->second.networkIds) networks.push_back(id);
  }

  const Instance* found = nullptr;
  int matches = countMatches(data, networks, asker.client, &found);
  // Like the agent, anything but exactly one port is "not found".
  if (matches != 1)
    return refuse(404,
                  fmt::format("Instance was not found: {} on {} {} matches {} instances.",
                              asker.client.text(), asker.networkId.empty() ? "router" : "network",
                              asker.networkId.empty() ? asker.routerId : asker.networkId, matches),
                  "no_instance");
  return {found, 200, "", "ok"};
}

}  // namespace nsmp::metadata
