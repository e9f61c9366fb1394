#include "daemon/daemonize.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <functional>
#include <string>

#include "child_process.h"

namespace nsmp::daemon {
namespace {

std::string readAll(int fd) {
  std::string out;
  char buf[256];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string fdTarget(int fd) {
  char link[64];
  char target[PATH_MAX];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = ::readlink(link, target, sizeof target - 1);
  return n < 0 ? "?" : std::string(target, static_cast<size_t>(n));
}

// What the launcher (a forked child of the test) did, and what the daemon
// it started wrote back on the `facts` pipe before finishing.
struct Launch {
  int launcher_exit = -1;
  std::string launcher_stderr;
  std::string facts;
};

// Forks a launcher that runs Daemonizer::start(); `daemon_body` runs in the
// daemon with the Daemonizer and a fd for facts, and must not return
// normally into the test (it is followed by _exit).
// `after_launcher` runs in the test once the launcher has been reaped.
Launch launch(
    const std::function<void(Daemonizer&, int facts_fd, pid_t launcher)>& daemon_body,
    const std::function<void()>& after_launcher = [] {}) {
  Launch result;
  int facts[2];
  int err[2];
  if (::pipe(facts) != 0 || ::pipe(err) != 0) return result;
  pid_t launcher = ::fork();
  if (launcher == 0) {
    ::close(facts[0]);
    ::close(err[0]);
    ::dup2(err[1], STDERR_FILENO);
    ::close(err[1]);
    pid_t self = ::getpid();
    Daemonizer daemonizer(true);
    Status started = daemonizer.start();
    if (!started.ok()) ::_exit(99);  // nothing forked; still the launcher
    daemon_body(daemonizer, facts[1], self);
    ::_exit(0);
  }
  ::close(facts[1]);
  ::close(err[1]);
  int status = 0;
  while (::waitpid(launcher, &status, 0) < 0) {
  }
  result.launcher_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  after_launcher();
  result.launcher_stderr = readAll(err[0]);
  result.facts = readAll(facts[0]);  // EOF once the daemon has exited
  ::close(err[0]);
  ::close(facts[0]);
  return result;
}

void writeFacts(int fd, const std::string& text) {
  ssize_t n = ::write(fd, text.data(), text.size());
  (void)n;
}

TEST(DaemonizeTest, LauncherExitsZeroOnceReadyAndDaemonIsDetached) {
  Launch l = launch([](Daemonizer& d, int facts, pid_t) {
    char cwd[PATH_MAX] = "?";
    if (::getcwd(cwd, sizeof cwd) == nullptr) cwd[0] = '?';
    mode_t mask = ::umask(0);
    char text[PATH_MAX + 512];
    std::snprintf(text, sizeof text, "sid=%d pid=%d cwd=%s umask=%03o 0=%s 1=%s 2=%s\n",
                  static_cast<int>(::getsid(0)), static_cast<int>(::getpid()), cwd,
                  static_cast<unsigned>(mask), fdTarget(0).c_str(), fdTarget(1).c_str(),
                  fdTarget(2).c_str());
    writeFacts(facts, text);
    d.ready();
    d.ready();  // idempotent
  });
  EXPECT_EQ(l.launcher_exit, 0) << l.launcher_stderr;
  EXPECT_EQ(l.launcher_stderr, "");
  int sid = -1, pid = -1;
  ASSERT_EQ(std::sscanf(l.facts.c_str(), "sid=%d pid=%d", &sid, &pid), 2) << l.facts;
  EXPECT_NE(sid, static_cast<int>(::getsid(0))) << "daemon still in the test's session";
  EXPECT_NE(sid, pid) << "daemon is a session leader and could acquire a terminal";
  EXPECT_NE(l.facts.find(" cwd=/ "), std::string::npos) << l.facts;
  EXPECT_NE(l.facts.find(" umask=022 "), std::string::npos) << l.facts;
  EXPECT_NE(l.facts.find(" 0=/dev/null 1=/dev/null 2=/dev/null\n"), std::string::npos) << l.facts;
}

TEST(DaemonizeTest, FailureIsPrintedByLauncherWhichExitsOne) {
  Launch l = launch([](Daemonizer& d, int, pid_t) {
    d.fail("cannot bind 0.0.0.0:9697: Address already in use");
  });
  EXPECT_EQ(l.launcher_exit, 1);
  EXPECT_EQ(l.launcher_stderr,
            "ns-metadata-proxy: cannot bind 0.0.0.0:9697: Address already in use\n");
}

TEST(DaemonizeTest, DaemonDyingWithoutAWordMakesLauncherExitOne) {
  Launch l = launch([](Daemonizer&, int, pid_t) { ::_exit(3); });
  EXPECT_EQ(l.launcher_exit, 1);
  EXPECT_EQ(l.launcher_stderr,
            "ns-metadata-proxy: the daemon exited before it was ready; see its log\n");
}

TEST(DaemonizeTest, DaemonSurvivesReportingToAKilledLauncher) {
  // Regression guard: with a pipe, ready() after the launcher died would
  // raise SIGPIPE and kill the daemon that was about to serve.
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  Launch l = launch(
      [&go](Daemonizer& d, int facts, pid_t launcher) {
        ::close(go[1]);
        ::kill(launcher, SIGKILL);
        char byte;
        if (::read(go[0], &byte, 1) != 1) return;  // the test has reaped the launcher
        d.ready();
        writeFacts(facts, "alive\n");
      },
      [&go] {
        ::close(go[0]);
        char byte = 'g';
        EXPECT_EQ(::write(go[1], &byte, 1), 1);
        ::close(go[1]);
      });
  EXPECT_EQ(l.launcher_exit, 128 + SIGKILL);
  EXPECT_EQ(l.facts, "alive\n");
}

TEST(DaemonizeTest, DisabledIsANoOp) {
  int rc = testing::runInChild([] {
    pid_t pid = ::getpid();
    pid_t sid = ::getsid(0);
    Daemonizer d(false);
    if (!d.start().ok()) return 1;
    d.fail("ignored");
    d.ready();
    return ::getpid() == pid && ::getsid(0) == sid && !d.enabled() ? 0 : 2;
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace nsmp::daemon
