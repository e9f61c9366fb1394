// Process-wide settings: how the daemon runs, independent of any listener.
#pragma once

#include <cstdint>
#include <string>

namespace nsmp::daemon {

enum class LogTarget : uint8_t { kStderr, kFile, kSyslog };

struct ProcessConfig {
  std::string state_path = "/var/lib/neutron";
  std::string pid_file;  // empty: none
  bool daemonize = true;
  std::string user;   // name or number; empty: effective uid
  std::string group;  // name or number; empty: effective gid
  LogTarget log_target = LogTarget::kStderr;
  std::string log_file;  // with kFile
  std::string log_tag;   // syslog ident, e.g. "ns-metadata-proxy-<uuid>"
  // With kSyslog: a facility name daemon::syslogFacility() accepts ("user",
  // "LOG_LOCAL0", ...); empty: LOG_USER, oslo.log's default.
  std::string syslog_facility;
  bool debug = false;
  // The single proxy's metrics and health over HTTP on this UNIX socket
  // (src/metrics, docs/metrics.md); empty: none.
  std::string metrics_socket;
};

}  // namespace nsmp::daemon
