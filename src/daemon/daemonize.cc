#include "daemon/daemonize.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "base/log.h"

namespace nsmp::daemon {
namespace {

// Wire format on the report socket: a single NUL byte means ready; anything
// else is an error message, ended by closing the socket.
constexpr char kReady = '\0';

// `socket`: the report channel is a socket rather than a pipe so MSG_NOSIGNAL
// can spare the daemon a SIGPIPE if the launcher has been killed meanwhile.
void writeAll(int fd, std::string_view bytes, bool socket) {
  while (!bytes.empty()) {
    ssize_t n = socket ? ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL)
                       : ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nobody is listening any more; the daemon carries on
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// The launching process: wait for the daemon's verdict and exit with it.
[[noreturn]] void awaitVerdict(int fd, pid_t middle) {
  std::string message;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (message.empty() && buf[0] == kReady) {
      ::waitpid(middle, nullptr, 0);
      ::_exit(0);
    }
    message.append(buf, static_cast<size_t>(n));
  }
  ::waitpid(middle, nullptr, 0);
  if (message.empty()) message = "the daemon exited before it was ready; see its log";
  message.insert(0, "ns-metadata-proxy: ");
  if (message.back() != '\n') message += '\n';
  writeAll(STDERR_FILENO, message, /*socket=*/false);
  ::_exit(1);
}

}  // namespace

Daemonizer::~Daemonizer() {
  if (report_fd_ >= 0) ::close(report_fd_);
}

Status Daemonizer::start() {
  if (!enabled_) return {};
  log::flush();
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return Status::fromErrno("cannot daemonize: socketpair");
  }
  pid_t middle = ::fork();
  if (middle < 0) {
    int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return Status::fromErrno("cannot daemonize: fork", err);
  }
  if (middle > 0) {
    ::close(fds[1]);
    awaitVerdict(fds[0], middle);
  }

  // Middle process: new session, then fork again so the daemon is not a
  // session leader and can never acquire a controlling terminal.
  ::close(fds[0]);
  report_fd_ = fds[1];
  if (::setsid() < 0) {
    fail(Status::fromErrno("cannot daemonize: setsid").message());
    ::_exit(1);
  }
  pid_t daemon = ::fork();
  if (daemon < 0) {
    fail(Status::fromErrno("cannot daemonize: fork").message());
    ::_exit(1);
  }
  if (daemon > 0) ::_exit(0);

  // The daemon. "/" so we never hold a mount busy. umask 022, not Neutron's
  // 0: files we create (the pidfile, log files) must not be world-writable --
  // anyone able to rewrite the pidfile could make the agent kill another
  // process.
  if (::chdir("/") != 0) {
    fail(Status::fromErrno("cannot daemonize: chdir /").message());
    ::_exit(1);
  }
  ::umask(022);
  // Not O_CLOEXEC: if 0-2 were closed, open() returns one of them and dup2()
  // onto itself would leave the flag set.
  int null = ::open("/dev/null", O_RDWR);
  if (null < 0 || ::dup2(null, STDIN_FILENO) < 0 || ::dup2(null, STDOUT_FILENO) < 0 ||
      ::dup2(null, STDERR_FILENO) < 0) {
    fail(Status::fromErrno("cannot daemonize: /dev/null").message());
    ::_exit(1);
  }
  if (null > STDERR_FILENO) ::close(null);
  return {};
}

void Daemonizer::report(std::string_view bytes) {
  if (report_fd_ < 0) return;
  writeAll(report_fd_, bytes, /*socket=*/true);
  ::close(report_fd_);
  report_fd_ = -1;
}

void Daemonizer::ready() { report(std::string_view(&kReady, 1)); }

void Daemonizer::fail(std::string_view message) {
  // An empty message would read as "no word"; the launcher's generic text is
  // still better than a silent exit 1.
  if (message.empty() || message.front() == kReady) message = "start-up failed";
  report(message);
}

}  // namespace nsmp::daemon
