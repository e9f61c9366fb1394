#include "app/cli_values.h"

#include <unistd.h>

#include <cctype>
#include <climits>

#include <fmt/format.h>

#include "base/number_text.h"
#include "net/address.h"
#include "proxy/listener_id.h"

namespace nsmp::app::cli {
namespace {

bool allDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<uint16_t> parsePort(std::string_view text) {
  auto v = parseDecimal(text);
  if (!v || *v > 65535) {
    return invalidArgument(
        fmt::format("'{}' is not a port number (1-65535, or 0 for any free port)", text));
  }
  return static_cast<uint16_t>(*v);
}

Result<proxy::Millis> parseSeconds(std::string_view text) {
  constexpr uint64_t kMaxMillis = INT32_MAX;
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  bool shape_ok = (!whole.empty() || !frac.empty()) && (whole.empty() || allDigits(whole)) &&
                  (frac.empty() || allDigits(frac)) && whole.size() <= 10 &&
                  !(dot != std::string_view::npos && frac.empty() && whole.empty());
  if (!shape_ok) {
    return invalidArgument(fmt::format("'{}' is not a number of seconds (e.g. 30 or 0.5)", text));
  }
  uint64_t ms = whole.empty() ? 0 : *parseDecimal(whole) * 1000;
  // Milliseconds from the first three decimals, rounded half up on the fourth.
  uint64_t scale = 100;
  for (size_t i = 0; i < frac.size() && i < 4; ++i) {
    uint64_t digit = static_cast<uint64_t>(frac[i] - '0');
    if (i < 3) {
      ms += digit * scale;
      scale /= 10;
    } else if (digit >= 5) {
      ms += 1;
    }
  }
  if (ms == 0) {
    return invalidArgument(fmt::format("'{}' must be more than 0 seconds (at least 0.001)", text));
  }
  if (ms > kMaxMillis) {
    return invalidArgument(fmt::format("'{}' is too long (at most 2147483 seconds)", text));
  }
  return proxy::Millis(static_cast<int64_t>(ms));
}

Result<uint64_t> parseCount(std::string_view text, uint64_t min, uint64_t max) {
  auto v = parseDecimal(text);
  if (!v || *v < min || *v > max) {
    return invalidArgument(fmt::format("'{}' is not a number from {} to {}", text, min, max));
  }
  return *v;
}

Result<uint64_t> parseSize(std::string_view text) {
  // 1 GiB: far beyond any metadata body (Nova takes 1 KiB at most); a chunked
  // body is held whole before it is sent with its length.
  constexpr uint64_t kMax = uint64_t{1} << 30;
  SizeText size = parseSizeText(text, kMax);
  if (size.problem != SizeProblem::kNone) {
    return invalidArgument(
        fmt::format("'{}' is not a size in bytes (e.g. 1048576, 64k or 1M; at most 1G)", text));
  }
  return size.bytes;
}

Result<std::string> parseId(std::string_view text) {
  if (!proxy::isSafeId(text)) return invalidArgument(proxy::idProblem(text));
  return std::string(text);
}

Result<BindHost> parseHost(std::string_view text) {
  net::HostText host = net::splitHost(text);
  std::optional<net::IpAddress> ip = net::parseIp(host.address);
  if (!ip) {
    return invalidArgument(
        fmt::format("'{}' is not an IPv4 or IPv6 address (e.g. 0.0.0.0 or fe80::a9fe:a9fe)", text));
  }
  if (!host.zone.empty() && !ip->v6()) {
    return invalidArgument(fmt::format("'{}': only IPv6 addresses take a %interface suffix", text));
  }
  return BindHost{std::string(host.address), std::string(host.zone)};
}

bool isIpv6LinkLocal(const std::string& host) {
  std::optional<net::IpAddress> ip = net::parseIp(host);
  return ip && ip->isLinkLocalV6();
}

Result<std::string> parseInterface(std::string_view text) {
  bool ok = !text.empty() && text.size() < 16 && text != "." && text != "..";
  for (char c : text) ok = ok && c != '/' && c != ':' && c > ' ' && c <= '~';
  if (!ok) {
    return invalidArgument(
        fmt::format("'{}' is not a network interface name (1-15 characters, e.g. eth0)", text));
  }
  return std::string(text);
}

Result<bool> parseBool(std::string_view text) {
  std::string v = lower(text);
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  return invalidArgument(fmt::format("'{}' is not true or false", text));
}

Result<std::string> parsePath(std::string_view text) {
  if (text.empty()) return invalidArgument("needs a path, not an empty string");
  if (text.front() == '/') return std::string(text);
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) {
    return invalidArgument(
        fmt::format("'{}' is relative and the current directory is unknown; give an "
                    "absolute path",
                    text));
  }
  std::string base(cwd);
  if (base.back() != '/') base += '/';
  return base + std::string(text);
}

}  // namespace nsmp::app::cli
