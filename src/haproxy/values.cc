#include "haproxy/values.h"

#include <arpa/inet.h>

#include <fmt/format.h>
#include <array>
#include <charconv>

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

bool isIpv4(const std::string& host) {
  in_addr a;
  return ::inet_pton(AF_INET, host.c_str(), &a) == 1;
}

bool isIpv6(const std::string& host) {
  in6_addr a;
  return ::inet_pton(AF_INET6, host.c_str(), &a) == 1;
}

}  // namespace

daemon::StartupResult<proxy::Millis> parseDuration(std::string_view text) {
  uint64_t n = 0;
  std::string_view unit;
  if (text.empty() || text[0] == '+' || text[0] == '-' || !leadingNumber(text, &n, &unit)) {
    return daemon::StartupError{fmt::format("'{}' is not a time (e.g. 30s, 500ms)", text)};
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
      return daemon::StartupError{fmt::format("time '{}' is too large", text)};
    }
    uint64_t micros = n * u.micros;
    if (micros == 0) {
      return daemon::StartupError{
          fmt::format("time '{}' is zero (haproxy reads it as no timeout; give a duration)", text)};
    }
    return proxy::Millis((micros + 999) / 1000);
  }
  return daemon::StartupError{
      fmt::format("'{}' has an unknown time unit (use us, ms, s, m, h or d)", text)};
}

daemon::StartupResult<uint64_t> parseCount(std::string_view text, uint64_t max) {
  uint64_t n = 0;
  std::string_view rest;
  if (text.empty() || text[0] == '+' || !leadingNumber(text, &n, &rest) || !rest.empty()) {
    return daemon::StartupError{fmt::format("'{}' is not a number", text)};
  }
  if (n > max) return daemon::StartupError{fmt::format("'{}' is larger than {}", text, max)};
  return n;
}

daemon::StartupResult<uint64_t> parseSize(std::string_view text) {
  uint64_t n = 0;
  std::string_view suffix;
  if (text.empty() || text[0] == '+' || !leadingNumber(text, &n, &suffix)) {
    return daemon::StartupError{fmt::format("'{}' is not a size (e.g. 10k)", text)};
  }
  uint64_t mult = 1;
  if (suffix == "k" || suffix == "K") {
    mult = 1024;
  } else if (suffix == "m" || suffix == "M") {
    mult = uint64_t{1024} * 1024;
  } else if (suffix == "g" || suffix == "G") {
    mult = uint64_t{1024} * 1024 * 1024;
  } else if (!suffix.empty()) {
    return daemon::StartupError{
        fmt::format("'{}' has an unknown size suffix (use k, m or g)", text)};
  }
  if (n > ((uint64_t{1} << 32) - 1) / mult) {
    return daemon::StartupError{fmt::format("size '{}' is too large", text)};
  }
  return n * mult;
}

daemon::StartupResult<proxy::BindAddress> parseBindAddress(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return daemon::StartupError{fmt::format("bind address '{}' {}", text, why)};
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
    if (!isIpv6(host)) return bad("has an invalid IPv6 address in brackets");
  } else if (host.empty() || host == "*") {
    host = "0.0.0.0";  // haproxy: all IPv4 addresses
  } else if (!isIpv4(host) && !isIpv6(host)) {
    return bad("does not name an IP address (host names are not supported)");
  }
  proxy::BindAddress bind;
  bind.host = host;
  bind.port = static_cast<uint16_t>(*port);
  return bind;
}

daemon::StartupResult<std::string> parseUnixServerAddress(std::string_view text) {
  std::string_view path = text;
  if (path.substr(0, 5) == "unix@") path.remove_prefix(5);
  if (path.empty() || path[0] != '/') {
    return daemon::StartupError{fmt::format(
        "server address '{}' is not a UNIX socket path (the upstream is the metadata agent's "
        "socket, an absolute path)",
        text)};
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
