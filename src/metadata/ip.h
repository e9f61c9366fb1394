// IP addresses as the metadata agent compares them: parsed, not as text, so
// "2001:db8::1" and "2001:0db8:0::1" are the same address, and an
// IPv4-mapped IPv6 address ("::ffff:192.0.2.10") is the IPv4 address it maps
// (Neutron's agent converts it the same way before the port lookup).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/address.h"

namespace nsmp::metadata {

using IpAddress = net::IpAddress;

// net::parseIp() (exactly one address: no spaces, port or zone), with an
// IPv4-mapped IPv6 address made the IPv4 address it maps.
std::optional<IpAddress> parseIp(std::string_view text);

// A MAC address "fa:16:3e:00:00:01" (case-insensitive, colons required).
std::optional<std::array<uint8_t, 6>> parseMac(std::string_view text);

// True when the low 64 bits of `address` are the modified EUI-64 interface
// identifier of `mac` (RFC 4291 appendix A): how a SLAAC link-local address
// names its interface, and all Neutron's agent can go by for fe80:: clients.
bool interfaceIdMatchesMac(const IpAddress& address, const std::array<uint8_t, 6>& mac);

}  // namespace nsmp::metadata
