#include "haproxy/values.h"

#include <fmt/format.h>
#include <array>
#include <charconv>

#include "base/number_text.h"
#include "net/address.h"

namespace nsmp::haproxy {
namespace {

// Splits leading digits from the rest; false when there are no digits or the
// number overflows.
bool leadingNumber(std::string_view text, uint64_t* value, std::string_view* rest) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  if (ec != std::errc() || ptr == text.data()) return false;
  *rest = std::string_view(ptr, static_cast<size_t>(end - ptr));
  return true;
}

}  // namespace

Result<proxy::Millis> parseDuration(std::string_view text) {
  uint64_t n = 0;
  std::string_view unit;
  if (text.empty() || text[0] == '+' || text[0] == '-' || !leadingNumber(text, &n, &unit)) {
    return invalidArgument(fmt::format("'{}' is not a time (e.g. 30s, 500ms)", text));
  }
  struct Unit {
    std::string_view name;
    uint64_t micros;
  };
  static constexpr std::array<Unit, 7> kUnits{{{"", 1000},
                                               {"us", 1},
                                               {"ms", 1000},
                                               {"s", 1000'000},
                                               {"m", 60'000'000},
                                               {"h", 3'600'000'000},
                                               {"d", 86'400'000'000}}};
  for (const Unit& u : kUnits) {
    if (u.name != unit) continue;
    // Keep within what the engine's timers (and haproxy, 2^31 ms) accept.
    constexpr uint64_t kMaxMicros = (uint64_t{1} << 31) * 1000;
    if (n > kMaxMicros / u.micros) {
      return invalidArgument(fmt::format("time '{}' is too large", text));
    }
    uint64_t micros = n * u.micros;
    if (micros == 0) {
      return invalidArgument(
          fmt::format("time '{}' is zero (haproxy reads it as no timeout; give a duration)", text));
    }
    return proxy::Millis((micros + 999) / 1000);
  }
  return invalidArgument(
      fmt::format("'{}' has an unknown time unit (use us, ms, s, m, h or d)", text));
}

Result<uint64_t> parseCount(std::string_view text, uint64_t max) {
  std::optional<uint64_t> n = parseDecimal(text);
  if (!n) return invalidArgument(fmt::format("'{}' is not a number", text));
  if (*n > max) return invalidArgument(fmt::format("'{}' is larger than {}", text, max));
  return *n;
}

Result<uint64_t> parseSize(std::string_view text) {
  // The engine's table sizes are 32-bit.
  SizeText size = parseSizeText(text, (uint64_t{1} << 32) - 1);
  switch (size.problem) {
    case SizeProblem::kNone:
      return size.bytes;
    case SizeProblem::kNotANumber:
      return invalidArgument(fmt::format("'{}' is not a size (e.g. 10k)", text));
    case SizeProblem::kUnknownSuffix:
      return invalidArgument(fmt::format("'{}' has an unknown size suffix (use k, m or g)", text));
    case SizeProblem::kTooLarge:
      break;
  }
  return invalidArgument(fmt::format("size '{}' is too large", text));
}

Result<proxy::BindAddress> parseBindAddress(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return invalidArgument(fmt::format("bind address '{}' {}", text, why));
  };
  if (text.find(',') != std::string_view::npos) return bad("is a list (give one per bind line)");
  if (text.find('@') != std::string_view::npos) return bad("has an address family prefix");
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("has no port (HOST:PORT)");
  std::string host(text.substr(0, colon));
  std::string_view port_text = text.substr(colon + 1);
  if (port_text.find('-') != std::string_view::npos) return bad("is a port range");
  auto port = parseCount(port_text, 65535);
  if (!port) return bad("has an invalid port");
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (auto ip = net::parseIp(host); !ip || !ip->v6()) {
      return bad("has an invalid IPv6 address in brackets");
    }
  } else if (host.empty() || host == "*") {
    host = "0.0.0.0";  // haproxy: all IPv4 addresses
  } else if (!net::parseIp(host)) {
    return bad("does not name an IP address (host names are not supported)");
  }
  proxy::BindAddress bind;
  bind.host = host;
  bind.port = static_cast<uint16_t>(*port);
  return bind;
}

Result<std::string> parseUnixServerAddress(std::string_view text) {
  std::string_view path = text;
  if (path.substr(0, 5) == "unix@") path.remove_prefix(5);
  if (path.empty() || path[0] != '/') {
    return invalidArgument(fmt::format(
        "server address '{}' is not a UNIX socket path (the upstream is the metadata agent's "
        "socket, an absolute path)",
        text));
  }
  return std::string(path);
}

bool isSyslogFacility(std::string_view name) {
  static constexpr std::array<std::string_view, 24> kNames{
      "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
      "uucp",   "cron",   "auth2",  "ftp",    "ntp",    "audit",  "alert",  "cron2",
      "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
  for (std::string_view n : kNames) {
    if (n == name) return true;
  }
  return false;
}

bool isSyslogLevel(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kNames{"emerg",   "alert",  "crit", "err",
                                                          "warning", "notice", "info", "debug"};
  for (std::string_view n : kNames) {
    if (n == name) return true;
  }
  return false;
}

}  // namespace nsmp::haproxy
