// Runs the native engine for one listener: the start-up sequence Neutron's
// process manager relies on, then the event loop until SIGTERM/SIGINT.
#pragma once

#include <optional>
#include <string>

#include "daemon/daemonize.h"
#include "daemon/notify.h"
#include "daemon/pidfile.h"
#include "daemon/privileges.h"
#include "daemon/process_config.h"
#include "event/loop.h"
#include "proxy/config.h"
#include "proxy/worker.h"

namespace nsmp::app {

// Returns the process exit status.
int runNative(const daemon::ProcessConfig& process, const proxy::ListenerConfig& listener);

// Shared with the node (app/node_main). Opens the log the process config
// names; prints why not to stderr and returns false.
bool setUpLogging(const daemon::ProcessConfig& process);
// The start both daemons share, in this order: the log opened, user and
// group resolved (an unknown name is refused before anything is forked or
// bound), daemonized (Neutron's launcher waits for ready() or fail()), the
// pidfile locked. Keeps the daemonizer and pidfile for the process's life.
// The service manager's notify socket (daemon/notify.h) is read on
// construction, before daemonizing.
class ProcessStart {
 public:
  explicit ProcessStart(const daemon::ProcessConfig& process)
      : process_(process),
        daemonizer_(process.daemonize),
        notifier_(daemon::Notifier::fromEnvironment()) {}
  // Returns the exit status when the process must stop here.
  std::optional<int> begin();
  daemon::Daemonizer& daemonizer() { return daemonizer_; }
  const daemon::Notifier& notifier() const { return notifier_; }
  const daemon::Credentials& credentials() const { return credentials_; }

 private:
  const daemon::ProcessConfig& process_;
  daemon::Daemonizer daemonizer_;
  daemon::Notifier notifier_;
  daemon::Credentials credentials_;
  std::optional<daemon::Pidfile> pidfile_;
};

// Logs why start-up failed and tells the launcher (exit 1 there); returns 1.
int failStartup(daemon::Daemonizer& daemonizer, const std::string& message);
// The rest of a daemon's life once it can serve (every socket it announces
// accepts): logs `started`, tells the service manager (READY=1, then
// WATCHDOG=1 pings if asked) and the launcher it is ready, and runs the loop.
// SIGTERM/SIGINT send STOPPING=1, stop accepting, let in-flight requests
// finish (4 s at most) and end it; SIGHUP reopens the log; SIGUSR1 logs
// counters. Returns the exit status.
int serve(event::Loop& loop, proxy::Worker& worker, ProcessStart& start,
          const std::string& started);

}  // namespace nsmp::app
