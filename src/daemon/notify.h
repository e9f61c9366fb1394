// The service manager's readiness protocol (sd_notify(3), systemd's
// "notify" service type), written out because it is one datagram:
//
//   NOTIFY_SOCKET  a UNIX datagram socket: a path, or "@name" for an
//                  abstract name. Each message is "KEY=VALUE" lines.
//   READY=1        the service is up (systemd moves the unit to "active");
//   STOPPING=1     it is shutting down;
//   WATCHDOG=1     it is alive; expected at least every WATCHDOG_USEC
//                  microseconds when the unit sets WatchdogSec=, and only
//                  from the process WATCHDOG_PID names (if set);
//   MAINPID=N      the process to supervise from now on.
//
// Without NOTIFY_SOCKET every call is a no-op, so the daemons call it
// unconditionally. Sending is best effort: a manager that went away must not
// stop the daemon, as with sd_notify(3).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "event/loop.h"

namespace nsmp::daemon {

class Notifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. Call in the process
  // the manager started, before daemonizing: that pid is the one
  // WATCHDOG_PID may name, and a daemon that differs from it announces
  // itself with MAINPID= when ready.
  static Notifier fromEnvironment();

  bool enabled() const { return !socket_.empty(); }

  // "READY=1", plus "MAINPID=<pid>" when this process is not the one the
  // manager started (--daemonize). Send only once the sockets accept.
  void ready() const;
  void stopping() const;
  // Half of WATCHDOG_USEC (sd_watchdog_enabled(3) advises pinging at half
  // the timeout), if the manager asked this process (WATCHDOG_PID unset or
  // the started process's pid) for pings; otherwise nullopt.
  std::optional<event::Millis> watchdogInterval() const;
  void watchdog() const;

  // Sends `state` as one datagram; false (errno kept) if it could not be
  // sent. Public for tests; the daemons use the named calls above.
  bool send(std::string_view state) const;

 private:
  std::string socket_;          // as given; "@" marks an abstract name
  uint64_t watchdog_usec_ = 0;  // 0: no watchdog asked for
  pid_t watchdog_pid_ = 0;      // 0: WATCHDOG_PID unset
  pid_t started_pid_ = 0;       // getpid() in fromEnvironment()
};

// Sends WATCHDOG=1 at the notifier's interval from the event loop, so a
// wedged loop stops the pings and the manager restarts the service.
class WatchdogPinger final : public event::TimerHandler {
 public:
  WatchdogPinger(event::Loop& loop, const Notifier& notifier)
      : notifier_(notifier), timer_(loop, this) {}
  // Starts pinging if the manager asked for it; otherwise does nothing.
  void start();
  void onTimer(event::Timer& timer) override;

 private:
  const Notifier& notifier_;
  event::Timer timer_;
  event::Millis interval_{0};
};

}  // namespace nsmp::daemon
