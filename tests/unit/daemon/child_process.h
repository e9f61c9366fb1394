// Runs a piece of a test in a forked child, for what must not happen to the
// test process itself (dropping privileges, daemonizing, a second lock
// holder). The child never returns into GoogleTest: it _exit()s with the
// body's result, so assertions inside it are expressed as exit codes.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace nsmp::daemon::testing {

// The child's exit status, or 128 + signal if it was killed, or -1 if fork
// failed.
inline int runInChild(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) ::_exit(body());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace nsmp::daemon::testing
