// Runs the native engine for one listener: the start-up sequence Neutron's
// process manager relies on, then the event loop until SIGTERM/SIGINT.
#pragma once

#include "base/result.h"
#include "daemon/process_config.h"
#include "event/signals.h"
#include "proxy/config.h"
#include "proxy/worker.h"

namespace nsmp::app {

// Returns the process exit status.
int runNative(const daemon::ProcessConfig& process, const proxy::ListenerConfig& listener);

// Shared with the node (app/node_main). Opens the log the process config
// names; prints why not to stderr and returns false.
bool setUpLogging(const daemon::ProcessConfig& process);
// SIGTERM/SIGINT: stop accepting, let in-flight requests finish (4 s at
// most), then stop the loop; SIGHUP: reopen the log; SIGUSR1: log counters.
Status watchProcessSignals(event::Signals& signals, proxy::Worker& worker);

}  // namespace nsmp::app
