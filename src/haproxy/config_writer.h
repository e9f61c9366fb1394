// The haproxy configuration `--engine haproxy` writes: Neutron's current
// template (neutron/common/metadata.py + neutron/agent/metadata/driver_base.py
// + driver.py) filled from the engine's own configuration. docs/haproxy.md
// lists every difference from it and from Neutron 21 (Debian 12) with its
// reason; the lines that differ, each because of how the result is run:
//  - no `daemon` line: ns-metadata-proxy daemonizes itself and then replaces
//    itself with haproxy in the foreground, so the pid Neutron reads from
//    --pid_file stays haproxy's pid (with `daemon`, haproxy would fork again);
//  - `http-request del-header X-Forwarded-For` before `option forwardfor`
//    adds its own: haproxy appends to a client-sent X-Forwarded-For, and the
//    metadata agent parses the whole value as one address, so a VM sending
//    one breaks its own lookup (and could pick another address);
//  - `http-request del-header _ -m sub`: WSGI servers map `X_Neutron_Router_ID`
//    onto the same key as `X-Neutron-Router-ID`, so a header spelled with
//    underscores would slip past the del-header of the identity headers.
// No other header is deleted: the agent reads only X-Forwarded-For and its
// identity header, and builds the request to Nova from scratch.
// The `pidfile` line is kept as Neutron writes it; haproxy in the foreground
// does not write it, the launcher does (see launcher.h).
#pragma once

#include <string>

#include "daemon/process_config.h"
#include "proxy/config.h"

namespace nsmp::haproxy {

struct WriterInput {
  const daemon::ProcessConfig* process = nullptr;
  const proxy::ListenerConfig* listener = nullptr;
  std::string user_name;  // resolved names: haproxy needs names here
  std::string group_name;
};

std::string renderHaproxyConfig(const WriterInput& in);

// "30s" when whole seconds (as Neutron writes them), else "500ms".
std::string formatDuration(proxy::Millis d);

}  // namespace nsmp::haproxy
