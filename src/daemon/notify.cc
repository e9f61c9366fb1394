#include "daemon/notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "base/number_text.h"
#include "net/fd.h"

namespace nsmp::daemon {
namespace {

// An environment variable's value as a decimal count; nullopt when unset or
// not one.
std::optional<uint64_t> environmentCount(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr) return std::nullopt;
  return parseDecimal(text);
}

}  // namespace

Notifier Notifier::fromEnvironment() {
  Notifier n;
  n.started_pid_ = ::getpid();
  const char* socket = std::getenv("NOTIFY_SOCKET");
  // Only absolute paths and abstract names are addresses (as sd_notify(3)
  // accepts them); anything else is ignored rather than guessed at.
  if (socket != nullptr && (socket[0] == '/' || socket[0] == '@') && socket[1] != '\0') {
    n.socket_ = socket;
  }
  if (auto usec = environmentCount("WATCHDOG_USEC")) n.watchdog_usec_ = *usec;
  if (auto pid = environmentCount("WATCHDOG_PID");
      pid && *pid > 0 && *pid <= uint64_t{std::numeric_limits<pid_t>::max()}) {
    n.watchdog_pid_ = static_cast<pid_t>(*pid);
  }
  return n;
}

bool Notifier::send(std::string_view state) const {
  if (!enabled()) return false;
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (socket_.size() > sizeof sun.sun_path) {
    errno = ENAMETOOLONG;
    return false;
  }
  std::memcpy(sun.sun_path, socket_.data(), socket_.size());
  // An abstract name starts with a NUL byte and is exactly as long as given
  // (no terminator); a path is NUL-terminated (if it fits, which the kernel
  // does not require).
  if (sun.sun_path[0] == '@') sun.sun_path[0] = '\0';
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  net::Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  for (;;) {
    ssize_t n = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                         reinterpret_cast<const sockaddr*>(&sun), len);
    if (n >= 0) return true;
    if (errno != EINTR) return false;
  }
}

void Notifier::ready() const {
  if (!enabled()) return;
  pid_t self = ::getpid();
  // A daemonized process is not the one the manager started (and waits
  // on): name it, so the manager supervises this one once the launcher
  // exits. systemd accepts that from a child only with NotifyAccess=all.
  if (self != started_pid_) {
    send(fmt::format("READY=1\nMAINPID={}", self));
  } else {
    send("READY=1");
  }
}

void Notifier::stopping() const { send("STOPPING=1"); }

void Notifier::watchdog() const { send("WATCHDOG=1"); }

std::optional<event::Millis> Notifier::watchdogInterval() const {
  if (!enabled() || watchdog_usec_ == 0) return std::nullopt;
  if (watchdog_pid_ != 0 && watchdog_pid_ != started_pid_) return std::nullopt;
  // Half the timeout, at least 1 ms so a tiny WATCHDOG_USEC cannot spin.
  uint64_t ms = watchdog_usec_ / 2000;
  return event::Millis(ms == 0 ? 1 : static_cast<int64_t>(ms));
}

void WatchdogPinger::start() {
  auto interval = notifier_.watchdogInterval();
  if (!interval) return;
  interval_ = *interval;
  notifier_.watchdog();
  timer_.arm(interval_);
}

void WatchdogPinger::onTimer(event::Timer&) {
  notifier_.watchdog();
  timer_.arm(interval_);
}

}  // namespace nsmp::daemon
