// The pidfile Neutron's process manager reads to find (and kill) the proxy.
// It holds our pid and an exclusive flock(2) for as long as the object
// lives, so a second instance with the same pidfile refuses to start instead
// of overwriting the first one's pid.
//
// Acquire it in the process that keeps running: after Daemonizer::start()
// (the pid changes with each fork) and before dropping privileges (the
// directory is usually root's).
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>

#include "base/result.h"

namespace nsmp::daemon {

class Pidfile {
 public:
  // Opens (creating it, mode 0644) and locks `path`, then writes getpid().
  // Refused when another process holds the lock (kAlreadyExists, "pidfile
  // <path> is held by running process <pid>; ...") or the directory does not
  // exist (it is not created: a missing directory is a configuration error).
  static Result<Pidfile> acquire(const std::string& path);

  Pidfile(Pidfile&& other) noexcept;
  Pidfile& operator=(Pidfile&& other) noexcept;
  Pidfile(const Pidfile&) = delete;
  Pidfile& operator=(const Pidfile&) = delete;
  ~Pidfile();  // release()

  // Replaces the file's content with `pid` and a newline.
  Status writePid(pid_t pid);

  // Lets a program this process exec()s inherit the descriptor and with it
  // the lock (the haproxy engine: haproxy keeps the pid and holds the lock
  // for as long as it runs). Clears close-on-exec only; release() is still
  // due if the exec fails.
  Status keepAcrossExec();

  // Removes the file (only if the path still names the file we locked, and
  // only in the process that acquired it -- a forked child's copy does
  // nothing) and drops the lock. When the directory no longer lets us unlink
  // (privileges dropped), the file is emptied instead, which readers treat as
  // "not running". Safe to call twice.
  void release() noexcept;

  const std::string& path() const { return path_; }

 private:
  Pidfile(std::string path, int fd, pid_t owner) : path_(std::move(path)), fd_(fd), owner_(owner) {}

  std::string path_;
  int fd_ = -1;
  pid_t owner_ = 0;  // the process that acquired the lock
};

}  // namespace nsmp::daemon
