// Neutron starts the proxy and treats its exit status as the verdict, so the
// launching process must not exit before the daemon is actually serving:
//
//   Daemonizer daemonizer(options.process.daemonize);
//   if (Status s = daemonizer.start(); !s) { print s.message(); return 1; }
//   ... acquire the pidfile, bind, drop privileges ...
//   if (failed) { log it; daemonizer.fail("cannot bind ...: ..."); return 1; }
//   daemonizer.ready();   // the launcher exits 0 now
//   run the loop
//
// With daemonizing off every call is a no-op (fail() too: the caller has
// already logged to stderr), so main stays linear either way.
#pragma once

#include <string_view>

#include "base/result.h"

namespace nsmp::daemon {

class Daemonizer {
 public:
  explicit Daemonizer(bool enabled) : enabled_(enabled) {}
  Daemonizer(const Daemonizer&) = delete;
  Daemonizer& operator=(const Daemonizer&) = delete;
  // Without ready() or fail() the report channel closes here and the launcher
  // exits 1 ("exited before it was ready").
  ~Daemonizer();

  // Double fork: the launching process waits for the daemon's word and
  // exits inside start() -- 0 after ready(), 1 after fail() (printing the
  // message to its stderr) or when the daemon goes away without a word. The
  // middle process calls setsid() (leaving the caller's session and terminal)
  // and exits, so the daemon can never reacquire a controlling terminal. The
  // daemon (the only caller that returns) is in "/" with umask 022 and
  // stdin/stdout/stderr on /dev/null. Buffered log lines are flushed first so
  // they are not written twice.
  // Returns an error only if nothing was forked (pipe or first fork failed).
  Status start();

  // Tells the launcher that start-up succeeded. Call once the listeners are
  // bound. Idempotent; no-op without daemonizing.
  void ready();

  // Tells the launcher that start-up failed; it prints "ns-metadata-proxy:
  // <message>" to its stderr and exits 1.
  void fail(std::string_view message);

  bool enabled() const { return enabled_; }

 private:
  void report(std::string_view bytes);

  bool enabled_;
  int report_fd_ = -1;  // daemon side of the launcher's socket
};

}  // namespace nsmp::daemon
