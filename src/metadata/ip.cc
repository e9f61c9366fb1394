#include "metadata/ip.h"

#include <cctype>

namespace nsmp::metadata {

std::optional<IpAddress> parseIp(std::string_view text) {
  std::optional<IpAddress> ip = net::parseIp(text);
  if (!ip) return std::nullopt;
  return ip->unmapped();
}

std::optional<std::array<uint8_t, 6>> parseMac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  std::array<uint8_t, 6> mac{};
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < 6; ++i) {
    int hi = hex(text[i * 3]);
    int lo = hex(text[i * 3 + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    if (i < 5 && text[i * 3 + 2] != ':') return std::nullopt;
    mac[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return mac;
}

bool interfaceIdMatchesMac(const IpAddress& address, const std::array<uint8_t, 6>& mac) {
  if (!address.v6()) return false;
  const uint8_t eui[8] = {
      static_cast<uint8_t>(mac[0] ^ 0x02), mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]};
  for (size_t i = 0; i < 8; ++i) {
    if (address.bytes[8 + i] != eui[i]) return false;
  }
  return true;
}

}  // namespace nsmp::metadata
