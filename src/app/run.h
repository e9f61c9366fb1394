// Runs the native engine for one listener: the start-up sequence Neutron's
// process manager relies on, then the event loop until SIGTERM/SIGINT.
#pragma once

#include "daemon/process_config.h"
#include "proxy/config.h"

namespace nsmp::app {

// Returns the process exit status.
int runNative(const daemon::ProcessConfig& process, const proxy::ListenerConfig& listener);

}  // namespace nsmp::app
