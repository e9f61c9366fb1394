#include "app/cli_values.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <climits>

#include <fmt/format.h>

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

std::optional<uint64_t> parseUnsigned(std::string_view s) {
  if (!allDigits(s)) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<uint16_t> parsePort(std::string_view text, std::string* error) {
  auto v = parseUnsigned(text);
  if (!v || *v > 65535) {
    *error = fmt::format("'{}' is not a port number (1-65535, or 0 for any free port)", text);
    return std::nullopt;
  }
  return static_cast<uint16_t>(*v);
}

std::optional<proxy::Millis> parseSeconds(std::string_view text, std::string* error) {
  constexpr uint64_t kMaxMillis = INT32_MAX;
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  bool shape_ok = (!whole.empty() || !frac.empty()) && (whole.empty() || allDigits(whole)) &&
                  (frac.empty() || allDigits(frac)) && whole.size() <= 10 &&
                  !(dot != std::string_view::npos && frac.empty() && whole.empty());
  if (!shape_ok) {
    *error = fmt::format("'{}' is not a number of seconds (e.g. 30 or 0.5)", text);
    return std::nullopt;
  }
  uint64_t ms = whole.empty() ? 0 : *parseUnsigned(whole) * 1000;
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
    *error = fmt::format("'{}' must be more than 0 seconds (at least 0.001)", text);
    return std::nullopt;
  }
  if (ms > kMaxMillis) {
    *error = fmt::format("'{}' is too long (at most 2147483 seconds)", text);
    return std::nullopt;
  }
  return proxy::Millis(static_cast<int64_t>(ms));
}

std::optional<uint64_t> parseCount(std::string_view text, uint64_t min, uint64_t max,
                                   std::string* error) {
  auto v = parseUnsigned(text);
  if (!v || *v < min || *v > max) {
    *error = fmt::format("'{}' is not a number from {} to {}", text, min, max);
    return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> parseSize(std::string_view text, std::string* error) {
  // 1 GiB: far beyond any metadata body (Nova takes 1 KiB at most); a chunked
  // body is held whole before it is sent with its length.
  constexpr uint64_t kMax = uint64_t{1} << 30;
  std::string_view digits = text;
  unsigned shift = 0;
  if (!digits.empty()) {
    switch (std::tolower(static_cast<unsigned char>(digits.back()))) {
      case 'k':
        shift = 10;
        break;
      case 'm':
        shift = 20;
        break;
      case 'g':
        shift = 30;
        break;
      default:
        break;
    }
    if (shift != 0) digits.remove_suffix(1);
  }
  auto v = parseUnsigned(digits);
  if (!v || *v > (kMax >> shift)) {
    *error = fmt::format("'{}' is not a size in bytes (e.g. 1048576, 64k or 1M; at most 1G)", text);
    return std::nullopt;
  }
  return *v << shift;
}

std::optional<std::string> parseId(std::string_view text, std::string* error) {
  if (!proxy::isSafeId(text)) {
    *error = proxy::idProblem(text);
    return std::nullopt;
  }
  return std::string(text);
}

std::optional<std::string> parseHost(std::string_view text, std::string* zone, std::string* error) {
  std::string_view host = text;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  zone->clear();
  if (size_t pct = host.find('%'); pct != std::string_view::npos) {
    *zone = std::string(host.substr(pct + 1));
    host = host.substr(0, pct);
  }
  std::string literal(host);
  in_addr v4{};
  in6_addr v6{};
  bool is_v4 = ::inet_pton(AF_INET, literal.c_str(), &v4) == 1;
  bool is_v6 = !is_v4 && ::inet_pton(AF_INET6, literal.c_str(), &v6) == 1;
  if (!is_v4 && !is_v6) {
    *error =
        fmt::format("'{}' is not an IPv4 or IPv6 address (e.g. 0.0.0.0 or fe80::a9fe:a9fe)", text);
    return std::nullopt;
  }
  if (!zone->empty() && !is_v6) {
    *error = fmt::format("'{}': only IPv6 addresses take a %interface suffix", text);
    return std::nullopt;
  }
  return literal;
}

bool isIpv6LinkLocal(const std::string& host) {
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) != 1) return false;
  return v6.s6_addr[0] == 0xfe && (v6.s6_addr[1] & 0xc0) == 0x80;
}

std::optional<std::string> parseInterface(std::string_view text, std::string* error) {
  bool ok = !text.empty() && text.size() < 16 && text != "." && text != "..";
  for (char c : text) ok = ok && c != '/' && c != ':' && c > ' ' && c <= '~';
  if (!ok) {
    *error = fmt::format("'{}' is not a network interface name (1-15 characters, e.g. eth0)", text);
    return std::nullopt;
  }
  return std::string(text);
}

std::optional<bool> parseBool(std::string_view text, std::string* error) {
  std::string v = lower(text);
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  *error = fmt::format("'{}' is not true or false", text);
  return std::nullopt;
}

std::optional<std::string> parsePath(std::string_view text, std::string* error) {
  if (text.empty()) {
    *error = "needs a path, not an empty string";
    return std::nullopt;
  }
  if (text.front() == '/') return std::string(text);
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) {
    *error = fmt::format(
        "'{}' is relative and the current directory is unknown; give an "
        "absolute path",
        text);
    return std::nullopt;
  }
  std::string base(cwd);
  if (base.back() != '/') base += '/';
  return base + std::string(text);
}

}  // namespace nsmp::app::cli
