#include "haproxy/config_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "daemon/syslog_facility.h"
#include "haproxy/header_rules.h"
#include "haproxy/rate_limit_rules.h"
#include "haproxy/tokenizer.h"
#include "haproxy/values.h"
#include "proxy/listener_id.h"

namespace nsmp::haproxy {
namespace {

using Words = std::vector<std::string>;

// Idle agent connections kept under "option http-keep-alive".
constexpr uint32_t kKeptUpstreams = 64;

enum class Section : uint8_t { kNone, kGlobal, kDefaults, kListen, kBackend };

Status unsupported(const Words& w, size_t n) {
  std::string d = w[0];
  for (size_t i = 1; i < n && i < w.size(); ++i) d += " " + w[i];
  return invalidArgument(fmt::format("unsupported directive '{}'", d));
}

class Parser {
 public:
  Result<HaproxyConfig> run(std::string_view text);

 private:
  Status directive(const Words& w);
  Status sectionStart(const Words& w);
  Status globalDirective(const Words& w);
  Status globalValue(const std::string& k, const std::string& v);  // one-value directives
  Status proxyDirective(const Words& w);                           // defaults and listen
  Status optionDirective(const Words& w);
  Status retriesDirective(const Words& w);
  Status timeoutDirective(const Words& w);
  Status maxconnValue(const std::string& v);  // global and proxy sections alike
  Status listenDirective(const Words& w);
  Status httpRequest(const Words& w);
  Status logDirective(const Words& w);
  Status finish();

  HaproxyConfig out_;
  Section section_ = Section::kNone;
  int line_ = 0;
  std::string backend_;
  int listen_line_ = 0;
  int server_line_ = 0;
  bool binds_given_ = false;
  HeaderRules headers_;
  RateLimitRules limits_;
};

Result<HaproxyConfig> Parser::run(std::string_view text) {
  // haproxy defaults differ from the engine's where Neutron never relied on
  // them: foreground unless `daemon`, no pidfile, tag "haproxy".
  out_.process.daemonize = false;
  out_.process.log_tag = "haproxy";
  out_.listener.binds.clear();
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_;
    auto words = splitWords(line);
    if (!words) return words.status().withContext(fmt::format("line {}", line_));
    if (words->empty()) continue;
    if (Status s = directive(*words); !s) return s.withContext(fmt::format("line {}", line_));
  }
  if (Status s = finish(); !s) return s;
  return std::move(out_);
}

Status Parser::directive(const Words& w) {
  const std::string& k = w[0];
  if (k == "global" || k == "defaults" || k == "listen" || k == "backend" || k == "frontend" ||
      k == "peers" || k == "resolvers" || k == "userlist" || k == "program" || k == "cache" ||
      k == "ring" || k == "mailers" || k == "http-errors") {
    return sectionStart(w);
  }
  switch (section_) {
    case Section::kNone:
      return invalidArgument(fmt::format("'{}' outside of any section", k));
    case Section::kGlobal:
      return globalDirective(w);
    case Section::kDefaults:
      return proxyDirective(w);
    case Section::kListen:
      return listenDirective(w);
    case Section::kBackend:
      if (k == "stick-table") return limits_.addStickTable(line_, backend_, w);
      if (k == "mode" && w.size() == 2 && w[1] == "http") return {};
      return invalidArgument(unsupported(w, 1).message() + " in a backend (only stick-table)");
  }
  return {};
}

Status Parser::sectionStart(const Words& w) {
  const std::string& k = w[0];
  if (k == "global") {
    if (w.size() != 1) return invalidArgument("'global' takes no arguments");
    section_ = Section::kGlobal;
    return {};
  }
  if (k == "defaults") {
    // A named defaults section is fine; "defaults NAME from OTHER" is not.
    if (w.size() > 2) return unsupported(w, w.size());
    if (listen_line_ != 0) {
      return invalidArgument("a 'defaults' section after the listener would not apply to it");
    }
    section_ = Section::kDefaults;
    return {};
  }
  if (k == "listen") {
    if (w.size() != 2) {
      return invalidArgument("'listen' takes exactly a name (give the address on a bind line)");
    }
    if (listen_line_ != 0) {
      return invalidArgument(
          fmt::format("a second listener ('listen {}') is not supported; the first is on line {}",
                      w[1], listen_line_));
    }
    section_ = Section::kListen;
    listen_line_ = line_;
    return {};
  }
  if (k == "backend") {
    if (w.size() != 2) return invalidArgument("'backend' takes exactly a name");
    section_ = Section::kBackend;
    backend_ = w[1];
    return {};
  }
  return unsupported(w, 1);
}

Status Parser::logDirective(const Words& w) {
  // log global | log <address> <facility> [<level> [<minlevel>]]
  if (w.size() == 2 && w[1] == "global") {
    if (section_ == Section::kGlobal)
      return invalidArgument("'log global' belongs in defaults or a listener");
    return {};  // uses the global log lines, read below
  }
  if (w.size() < 3 || w.size() > 5) {
    return invalidArgument("log must read 'log <address> <facility> [<level>]' or 'log global'");
  }
  if (w[1] != "/dev/log") {
    return invalidArgument(fmt::format(
        "log address '{}' is not supported (only /dev/log: the engine logs through syslog(3))",
        w[1]));
  }
  if (!isSyslogFacility(w[2]))
    return invalidArgument(fmt::format("unknown syslog facility '{}'", w[2]));
  if (!daemon::syslogFacility(w[2])) {
    return invalidArgument(
        fmt::format("syslog facility '{}' is not available through syslog(3)", w[2]));
  }
  if (!out_.process.syslog_facility.empty() && out_.process.syslog_facility != w[2]) {
    return invalidArgument(fmt::format("a second log facility ('{}' after '{}') is not supported",
                                       w[2], out_.process.syslog_facility));
  }
  out_.process.syslog_facility = w[2];
  for (size_t i = 3; i < w.size(); ++i) {
    if (!isSyslogLevel(w[i]))
      return invalidArgument(fmt::format("unknown syslog level '{}'", w[i]));
  }
  out_.process.log_target = daemon::LogTarget::kSyslog;
  if (w.size() >= 4 && w[3] == "debug") out_.process.debug = true;
  return {};
}

Status Parser::globalDirective(const Words& w) {
  const std::string& k = w[0];
  if (k == "log") return logDirective(w);
  if (k == "daemon") {
    if (w.size() != 1) return invalidArgument("'daemon' takes no value");
    out_.process.daemonize = true;
    return {};
  }
  static constexpr std::array<std::string_view, 8> kOneValue{
      "log-tag", "user", "group", "uid", "gid", "maxconn", "nbthread", "pidfile"};
  if (std::find(kOneValue.begin(), kOneValue.end(), k) == kOneValue.end()) {
    return unsupported(w, 1);
  }
  if (w.size() != 2) return invalidArgument(fmt::format("'{}' takes one value", k));
  return globalValue(k, w[1]);
}

Status Parser::globalValue(const std::string& k, const std::string& v) {
  if (k == "log-tag") {
    // The syslog ident; Neutron's "haproxy-metadata-proxy-<id>" is an id
    // itself, and anything else could forge or break syslog lines.
    if (!proxy::isSafeId(v)) return invalidArgument("log-tag " + proxy::idProblem(v));
    out_.process.log_tag = v;
    return {};
  }
  if (k == "user" || k == "uid") {
    if (k == "uid" && !parseCount(v, UINT32_MAX))
      return invalidArgument(fmt::format("uid '{}' is not a number", v));
    out_.process.user = v;
    return {};
  }
  if (k == "group" || k == "gid") {
    if (k == "gid" && !parseCount(v, UINT32_MAX))
      return invalidArgument(fmt::format("gid '{}' is not a number", v));
    out_.process.group = v;
    return {};
  }
  if (k == "maxconn") return maxconnValue(v);
  if (k == "nbthread") {
    // Accepted: the engine serves one namespace from one event loop, which
    // needs no second thread (Neutron sets 2 for haproxy's own sake).
    auto n = parseCount(v, 4096);
    if (!n || *n == 0)
      return invalidArgument(fmt::format("nbthread '{}' must be a number from 1 to 4096", v));
    out_.nbthread = static_cast<unsigned>(*n);
    return {};
  }
  out_.process.pid_file = v;  // pidfile
  return {};
}

Status Parser::maxconnValue(const std::string& v) {
  auto n = parseCount(v, 1'000'000);
  if (!n || *n == 0)
    return invalidArgument(fmt::format("maxconn '{}' must be a number from 1 to 1000000", v));
  out_.listener.maxconn = static_cast<uint32_t>(*n);
  return {};
}

Status Parser::proxyDirective(const Words& w) {
  const std::string& k = w[0];
  if (k == "log") return logDirective(w);
  if (k == "mode") {
    if (w.size() != 2 || w[1] != "http") return invalidArgument("only 'mode http' is supported");
    return {};
  }
  if (k == "option") return optionDirective(w);
  if (k == "retries") return retriesDirective(w);
  if (k == "maxconn") {
    if (w.size() != 2) return invalidArgument("'maxconn' takes one value");
    return maxconnValue(w[1]);
  }
  if (k == "timeout") return timeoutDirective(w);
  return unsupported(w, 1);
}

Status Parser::optionDirective(const Words& w) {
  // Behaviour the engine has anyway: logging each request (httplog), not
  // logging connections without a request (dontlognull) and sending
  // X-Forwarded-For (forwardfor; replaced, never appended).
  if (w.size() == 2 && (w[1] == "httplog" || w[1] == "dontlognull" || w[1] == "forwardfor")) {
    return {};
  }
  // haproxy keeps idle server connections unless told to close them; the
  // last of the two options wins, as in haproxy.
  if (w.size() == 2 && w[1] == "http-server-close") {
    out_.listener.upstream_keepalive = 0;
    return {};
  }
  if (w.size() == 2 && w[1] == "http-keep-alive") {
    out_.listener.upstream_keepalive = kKeptUpstreams;
    return {};
  }
  return unsupported(w, w.size());
}

Status Parser::retriesDirective(const Words& w) {
  if (w.size() != 2) return invalidArgument("'retries' takes one value");
  auto n = parseCount(w[1], 100);
  if (!n) return invalidArgument(fmt::format("retries '{}' must be a number from 0 to 100", w[1]));
  // The project reads Neutron's "retries 3" as its three connect attempts
  // (issue 2); haproxy itself makes one attempt more than `retries`.
  out_.listener.connect_attempts = std::max<uint32_t>(static_cast<uint32_t>(*n), 1);
  return {};
}

Status Parser::timeoutDirective(const Words& w) {
  if (w.size() != 3) return invalidArgument("timeout must read 'timeout <kind> <time>'");
  proxy::Timeouts& t = out_.listener.timeouts;
  proxy::Millis* slot = w[1] == "http-request"      ? &t.http_request
                        : w[1] == "connect"         ? &t.connect
                        : w[1] == "client"          ? &t.client
                        : w[1] == "server"          ? &t.server
                        : w[1] == "http-keep-alive" ? &t.http_keep_alive
                                                    : nullptr;
  if (slot == nullptr) return unsupported(w, 2);
  auto d = parseDuration(w[2]);
  if (!d) return d.status();
  *slot = *d;
  return {};
}

Status Parser::listenDirective(const Words& w) {
  const std::string& k = w[0];
  if (k == "bind") {
    if (w.size() != 2 && !(w.size() == 4 && w[2] == "interface")) {
      return invalidArgument(
          w.size() >= 3 ? fmt::format("bind option '{}' is not supported (only interface)", w[2])
                        : "bind needs an address (HOST:PORT)");
    }
    auto bind = parseBindAddress(w[1]);
    if (!bind) return bind.status();
    if (w.size() == 4) bind->interface = w[3];
    out_.listener.binds.push_back(*bind);
    binds_given_ = true;
    return {};
  }
  if (k == "server") {
    if (w.size() != 3) {
      return invalidArgument(w.size() > 3 ? fmt::format("server option '{}' is not supported", w[3])
                                          : "server must read 'server <name> <socket path>'");
    }
    if (server_line_ != 0) {
      return invalidArgument(
          fmt::format("a second server is not supported; the first is on line {}", server_line_));
    }
    auto path = parseUnixServerAddress(w[2]);
    if (!path) return path.status();
    out_.listener.upstream_socket = *path;
    server_line_ = line_;
    return {};
  }
  if (k == "http-request") return httpRequest(w);
  return proxyDirective(w);
}

Status Parser::httpRequest(const Words& w) {
  if (w.size() < 2) return invalidArgument("http-request needs an action");
  Words action(w.begin() + 1, w.end());
  const std::string& a = action[0];
  if (a == "set-header" || a == "add-header" || a == "del-header") {
    return headers_.add(line_, action);
  }
  if (a == "track-sc0" || a == "track-sc1" || a == "track-sc2") {
    return limits_.addTrack(line_, action);
  }
  if (a == "deny") return limits_.addDeny(line_, action);
  return unsupported(w, 2);
}

Status Parser::finish() {
  if (listen_line_ == 0) {
    return invalidArgument("no 'listen' section: nothing to serve");
  }
  if (!binds_given_) {
    return invalidArgument(fmt::format("line {}: the listener has no bind line", listen_line_));
  }
  if (server_line_ == 0) {
    return invalidArgument(fmt::format(
        "line {}: the listener has no 'server <name> <socket path>' line", listen_line_));
  }
  auto identity = headers_.finish(listen_line_, &out_.warnings);
  if (!identity) return identity.status();
  out_.listener.identity = *identity;
  out_.listener.uuid = identity->value;
  auto limit = limits_.finish();
  if (!limit) return limit.status();
  out_.listener.rate_limit = *limit;
  return {};
}

}  // namespace

Result<HaproxyConfig> parseHaproxyConfig(std::string_view text) { return Parser().run(text); }

}  // namespace nsmp::haproxy
