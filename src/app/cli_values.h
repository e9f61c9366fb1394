// Value checkers for the Neutron command line (app/cli). Each returns the
// parsed value, or a status whose message is the part of a usage message
// after the option name: "'abc' is not a port number (1-65535)". Separate
// from the option table so each rule is tested on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "proxy/config.h"

namespace nsmp::app::cli {

// 0-65535; 0 binds an ephemeral port (tests).
Result<uint16_t> parsePort(std::string_view text);

// Decimal seconds ("30", "0.5"), rounded to milliseconds; must be > 0 and at
// most 2147483.647 (2^31-1 ms, haproxy's limit too).
Result<proxy::Millis> parseSeconds(std::string_view text);

// A decimal integer in [min, max].
Result<uint64_t> parseCount(std::string_view text, uint64_t min, uint64_t max);

// Bytes with an optional binary suffix: "1048576", "64k", "1M", "2G".
Result<uint64_t> parseSize(std::string_view text);

// A network or router id: proxy::isSafeId() (it is sent in a header and
// names files).
Result<std::string> parseId(std::string_view text);

// An IPv4 or IPv6 literal, brackets allowed ("[::1]"); a "%IF" zone suffix
// (IPv6 only) is split off.
struct BindHost {
  std::string address;  // as written, without brackets and zone
  std::string zone;     // empty: none given
};
Result<BindHost> parseHost(std::string_view text);
// True for fe80::/10.
bool isIpv6LinkLocal(const std::string& host);

// A network interface name as the kernel accepts it (1-15 bytes, no '/',
// no whitespace, not "." or "..").
Result<std::string> parseInterface(std::string_view text);

// true/false, yes/no, on/off, 1/0 (case-insensitive).
Result<bool> parseBool(std::string_view text);

// Non-empty; made absolute against the current directory, because the
// daemon changes to "/" before it opens anything.
Result<std::string> parsePath(std::string_view text);

}  // namespace nsmp::app::cli
