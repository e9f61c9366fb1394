#include "event/signals.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace nsmp::event {

Signals::~Signals() {
  if (watcher_.fd >= 0) {
    loop_.remove(watcher_);
    ::close(watcher_.fd);
  }
}

Status Signals::watch(std::initializer_list<int> signos, Callback cb) {
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  for (int s : signos) sigaddset(&set, s);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return Status::fromErrno("sigprocmask");
  int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return Status::fromErrno("signalfd");
  watcher_.fd = fd;
  watcher_.handler = this;
  cb_ = std::move(cb);
  return loop_.add(watcher_, EPOLLIN);
}

void Signals::onIo(Watcher& w, uint32_t) {
  signalfd_siginfo info;
  while (::read(w.fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    cb_(static_cast<int>(info.ssi_signo));
  }
}

}  // namespace nsmp::event
