// Who is asking, as the proxy tells the metadata agent: the one table of the
// identity headers (kind, header name, noun), used by every layer -- the
// proxy's rewrite, the header policy, the haproxy config reader and writer,
// the node's logs and the metadata server's lookup.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace nsmp::http {

enum class IdentityKind : uint8_t {
  kNetwork,     // X-Neutron-Network-ID (qdhcp-<id> namespaces)
  kRouter,      // X-Neutron-Router-ID (qrouter-<id> namespaces)
  kOvnNetwork,  // X-OVN-Network-ID (ovnmeta-<id> namespaces)
};

struct IdentityInfo {
  IdentityKind kind;
  std::string_view header;  // as the proxy writes it
  std::string_view noun;    // in logs and messages: "network", "router"
};

inline constexpr std::array<IdentityInfo, 3> kIdentities = {{
    {IdentityKind::kNetwork, "X-Neutron-Network-ID", "network"},
    {IdentityKind::kRouter, "X-Neutron-Router-ID", "router"},
    {IdentityKind::kOvnNetwork, "X-OVN-Network-ID", "network"},  // OVN's networks are networks
}};

constexpr const IdentityInfo& identityInfo(IdentityKind kind) {
  return kIdentities[static_cast<size_t>(kind)];
}

// The kind whose header `name` is (case-insensitive), if any.
std::optional<IdentityKind> identityForHeader(std::string_view name);

}  // namespace nsmp::http
