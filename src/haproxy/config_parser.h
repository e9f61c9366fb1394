// Reads the haproxy configuration files Neutron and OVN generate (every era:
// 2017 add-header, 2018 log-tag, 2020 del-header + set-header, OVN
// X-OVN-Network-ID, IPv6 bind lines, nbthread, configurable timeouts, the
// rate-limited variant) into the engine's own configuration, so the binary
// can stand in for haproxy without the agents changing.
//
// Contract: every directive either changes the configuration, is a
// documented no-op for this engine (`option httplog`, `log global`, ...), or
// is refused with "line N: unsupported directive '...'" or "line N: <what is
// wrong>". Nothing is ignored silently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "daemon/process_config.h"
#include "proxy/config.h"

namespace nsmp::haproxy {

struct HaproxyConfig {
  // daemonize is true only with `daemon` in global (haproxy's default is the
  // foreground); pid_file from `pidfile`; log target syslog when a `log
  // /dev/log ...` line is given, tagged with `log-tag` (haproxy's default
  // tag "haproxy" otherwise).
  daemon::ProcessConfig process;
  // uuid is the identity value. `retries N` gives N connect attempts (at
  // least 1): the project's reading of Neutron's "retries 3" as "up to 3
  // connection attempts"; haproxy itself tries once more than `retries`.
  proxy::ListenerConfig listener;
  unsigned nbthread = 1;  // accepted and reported; the engine is single-threaded
  // Accepted with a caveat, as "line N: ..." (e.g. both identity headers).
  std::vector<std::string> warnings;
};

Result<HaproxyConfig> parseHaproxyConfig(std::string_view text);

}  // namespace nsmp::haproxy
