#include "app/cli_options.h"

#include "app/cli_values.h"
#include "daemon/syslog_facility.h"

#include <fmt/format.h>

namespace nsmp::app::cli {
namespace {

// Adapts a cli_values checker to a ValueFn that assigns the result.
template <typename T>
Status store(Result<T> parsed, T* field) {
  if (!parsed) return parsed.status();
  *field = std::move(*parsed);
  return {};
}

Status storeTimeout(std::string_view v, proxy::Millis* field) {
  return store(parseSeconds(v), field);
}

Status storeName(std::string_view v, std::string* field) {
  if (v.empty())
    return invalidArgument("needs a user or group name or number, not an empty string");
  *field = std::string(v);
  return {};
}

// clang-format off
constexpr OptionSpec kOptions[] = {
  {"network_id", "ID", "network whose metadata is proxied (sends X-Neutron-Network-ID)",
   [](ParseState& s, std::string_view v) -> Status {
     s.network_id.emplace();
     return store(parseId(v), &*s.network_id);
   }},
  {"router_id", "ID", "router whose metadata is proxied (sends X-Neutron-Router-ID)",
   [](ParseState& s, std::string_view v) -> Status {
     s.router_id.emplace();
     return store(parseId(v), &*s.router_id);
   }},
  {"metadata_port", "PORT", "TCP port to listen on (default 9697; 0: any free port)",
   [](ParseState& s, std::string_view v) -> Status {
     return store(parsePort(v), &s.port);
   }},
  {"bind_host", "ADDR", "IPv4 or IPv6 address to listen on (default 0.0.0.0)",
   [](ParseState& s, std::string_view v) -> Status {
     auto host = parseHost(v);
     if (!host) return host.status();
     s.bind_host = host->address;
     s.bind_zone = host->zone;
     return {};
   }},
  {"bind_interface", "IF", "interface to bind to (needed for IPv6 link-local such as fe80::a9fe:a9fe)",
   [](ParseState& s, std::string_view v) -> Status {
     return store(parseInterface(v), &s.bind_interface);
   }},
  {"metadata_proxy_socket", "PATH", "the metadata agent's UNIX socket (default $state_path/metadata_proxy)",
   [](ParseState& s, std::string_view v) -> Status {
     s.upstream_socket.emplace();
     return store(parsePath(v), &*s.upstream_socket);
   }},
  {"state_path", "DIR", "Neutron's state directory (default /var/lib/neutron)",
   [](ParseState& s, std::string_view v) -> Status {
     return store(parsePath(v), &s.options.process.state_path);
   }},
  {"pid_file", "PATH", "write the pid here and hold it locked while running",
   [](ParseState& s, std::string_view v) -> Status {
     return store(parsePath(v), &s.options.process.pid_file);
   }},
  {"daemonize", "", "run in the background (default; --nodaemonize stays in the foreground)",
   nullptr, [](ParseState& s, bool on) { s.options.process.daemonize = on; }},
  {"metadata_proxy_user", "USER", "user (name or uid) to run as after binding (default: effective uid)",
   [](ParseState& s, std::string_view v) -> Status {
     return storeName(v, &s.options.process.user);
   }},
  {"metadata_proxy_group", "GROUP", "group (name or gid) to run as after binding (default: effective gid)",
   [](ParseState& s, std::string_view v) -> Status {
     return storeName(v, &s.options.process.group);
   }},
  {"metadata_proxy_watch_log", "", "accepted for Neutron; the log file is reopened on SIGHUP",
   nullptr, [](ParseState&, bool) {}},
  {"log-file", "PATH", "log to this file (relative: under --log-dir) instead of stderr",
   [](ParseState& s, std::string_view v) -> Status {
     s.log_file = std::string(v);
     if (v.empty()) return invalidArgument("needs a path, not an empty string");
     return {};
   }},
  {"log-dir", "DIR", "directory for --log-file (alone: ns-metadata-proxy-<uuid>.log in it)",
   [](ParseState& s, std::string_view v) -> Status {
     return store(parsePath(v), &s.log_dir);
   }},
  {"use-syslog", "", "log to syslog, tagged ns-metadata-proxy-<uuid>",
   nullptr, [](ParseState& s, bool on) { s.use_syslog = on; }},
  {"syslog-log-facility", "FACILITY",
   "syslog facility (e.g. LOG_LOCAL0, local0; default LOG_USER, as oslo.log)",
   [](ParseState& s, std::string_view v) -> Status {
     if (!daemon::syslogFacility(v)) {
       return invalidArgument(
           fmt::format("'{}' is not a syslog facility (e.g. LOG_USER, LOG_DAEMON, LOG_LOCAL0)", v));
     }
     s.options.process.syslog_facility = std::string(v);
     return {};
   }},
  {"debug", "", "log debug messages too",
   nullptr, [](ParseState& s, bool on) { s.options.process.debug = on; }},
  {"verbose", "", "accepted for Neutron (informational messages are always logged)",
   nullptr, [](ParseState&, bool) {}},
  {"timeout_http_request", "SECONDS", "time for a client to send a request head (default 30)",
   [](ParseState& s, std::string_view v) -> Status {
     return storeTimeout(v, &s.options.listener.timeouts.http_request);
   }},
  {"timeout_connect", "SECONDS", "time to connect to the metadata agent (default 30)",
   [](ParseState& s, std::string_view v) -> Status {
     return storeTimeout(v, &s.options.listener.timeouts.connect);
   }},
  {"timeout_client", "SECONDS", "client inactivity timeout (default 32)",
   [](ParseState& s, std::string_view v) -> Status {
     return storeTimeout(v, &s.options.listener.timeouts.client);
   }},
  {"timeout_server", "SECONDS", "time for the metadata agent to answer (default 32)",
   [](ParseState& s, std::string_view v) -> Status {
     return storeTimeout(v, &s.options.listener.timeouts.server);
   }},
  {"timeout_http_keep_alive", "SECONDS", "idle time between keep-alive requests (default 30)",
   [](ParseState& s, std::string_view v) -> Status {
     return storeTimeout(v, &s.options.listener.timeouts.http_keep_alive);
   }},
  {"maxconn", "N", "client connections at most; more wait in the kernel backlog (default 1024)",
   [](ParseState& s, std::string_view v) -> Status {
     auto n = parseCount(v, 1, 1'000'000);
     if (!n) return n.status();
     s.options.listener.maxconn = static_cast<uint32_t>(*n);
     return {};
   }},
  {"maxconn_per_source", "N",
   "open connections per client address; more get 429 (default 64; 0: none)",
   [](ParseState& s, std::string_view v) -> Status {
     auto n = parseCount(v, 0, 1'000'000);
     if (!n) return n.status();
     s.options.listener.maxconn_per_source = static_cast<uint32_t>(*n);
     return {};
   }},
  {"upstream_keepalive", "N",
   "idle agent connections kept for GET/HEAD to reuse (default 0: none)",
   [](ParseState& s, std::string_view v) -> Status {
     auto n = parseCount(v, 0, 1024);
     if (!n) return n.status();
     s.options.listener.upstream_keepalive = static_cast<uint32_t>(*n);
     return {};
   }},
  {"timeout_upstream_idle", "SECONDS", "a kept agent connection is closed after this (default 5)",
   [](ParseState& s, std::string_view v) -> Status {
     return storeTimeout(v, &s.options.listener.upstream_idle);
   }},
  {"max_body_size", "BYTES", "largest request body; larger gets 413 (default 1M)",
   [](ParseState& s, std::string_view v) -> Status {
     return store(parseSize(v), &s.options.listener.max_body);
   }},
  {"metrics_socket", "PATH",
   "serve GET /metrics and /healthz on this UNIX socket, mode 0600",
   [](ParseState& s, std::string_view v) -> Status {
     return store(parsePath(v), &s.options.process.metrics_socket);
   }},
  {"engine", "native|haproxy", "serve with the built-in engine (default) or run haproxy",
   [](ParseState& s, std::string_view v) -> Status {
     if (v == "native") s.options.engine = Engine::kNative;
     else if (v == "haproxy") s.options.engine = Engine::kHaproxy;
     else return invalidArgument(fmt::format("'{}' is not an engine (native or haproxy)", v));
     return {};
   }},
  {"help", "", "show this help and exit",
   nullptr, [](ParseState& s, bool on) { s.help = on; }},
  {"version", "", "show the version and exit",
   nullptr, [](ParseState& s, bool on) { s.version = on; }},
};
// clang-format on

}  // namespace

std::span<const OptionSpec> optionTable() { return kOptions; }

bool isProcessOption(std::string_view name) {
  // How the process runs, not what one listener serves: refused by the
  // node's `add`, where the node's own command line decides these.
  constexpr std::string_view kProcess[] = {"pid_file",
                                           "daemonize",
                                           "metadata_proxy_user",
                                           "metadata_proxy_group",
                                           "metadata_proxy_watch_log",
                                           "log-file",
                                           "log-dir",
                                           "use-syslog",
                                           "syslog-log-facility",
                                           "debug",
                                           "verbose",
                                           "engine",
                                           "metrics_socket",
                                           "help",
                                           "version"};
  for (std::string_view p : kProcess) {
    if (p == name) return true;
  }
  return false;
}

}  // namespace nsmp::app::cli
