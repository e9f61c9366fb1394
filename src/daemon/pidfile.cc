#include "daemon/pidfile.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "base/log.h"

namespace nsmp::daemon {
namespace {

std::string parentOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The pid the current holder wrote, for the message; empty when unreadable.
std::string readHolder(int fd) {
  char buf[32];
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return {};
  std::string_view text(buf, static_cast<size_t>(n));
  size_t end = text.find_first_not_of("0123456789");
  return std::string(text.substr(0, end));
}

bool sameFile(int fd, const std::string& path) {
  struct stat by_fd {};
  struct stat by_path {};
  if (::fstat(fd, &by_fd) != 0 || ::stat(path.c_str(), &by_path) != 0) return false;
  return by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

// release() runs in the destructor and the move assignment, which must not
// throw; logging formats and buffers the line, which may allocate. Should
// that fail, the warning is lost and the release goes on.
void warnNotRemoved(const std::string& path, int err) noexcept {
  try {
    log::warning("cannot remove or empty pidfile {}: {}", path, errnoText(err));
  } catch (...) {  // the warning is lost, see above
  }
}

}  // namespace

Result<Pidfile> Pidfile::acquire(const std::string& path) {
  if (path.empty()) return Status(Code::kFailedPrecondition, "pidfile path is empty");
  // A previous holder may unlink the file between our open() and flock();
  // the lock would then be on a file nobody can see. Retry on the new file.
  for (int attempt = 0; attempt < 5; ++attempt) {
    int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
      int err = errno;
      if (err == ENOENT) {
        return Status(Code::kFailedPrecondition,
                      fmt::format("cannot create pidfile {}: directory {} does not exist", path,
                                  parentOf(path)));
      }
      return Status::fromErrno(fmt::format("cannot open pidfile {}", path), err);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      std::string holder = err == EWOULDBLOCK ? readHolder(fd) : std::string();
      ::close(fd);
      if (err != EWOULDBLOCK) {
        return Status::fromErrno(fmt::format("cannot lock pidfile {}", path), err);
      }
      return Status(
          Code::kAlreadyExists,
          fmt::format(
              "pidfile {} is held by running process {}; is another ns-metadata-proxy running?",
              path, holder.empty() ? "(unknown pid)" : holder));
    }
    if (!sameFile(fd, path)) {
      ::close(fd);
      continue;
    }
    Pidfile pidfile(path, fd, ::getpid());
    Status written = pidfile.writePid(::getpid());
    if (!written) return written;
    return pidfile;
  }
  return Status(Code::kFailedPrecondition,
                fmt::format("pidfile {} keeps being replaced by another process", path));
}

Pidfile::Pidfile(Pidfile&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      owner_(std::exchange(other.owner_, 0)) {}

Pidfile& Pidfile::operator=(Pidfile&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    owner_ = std::exchange(other.owner_, 0);
  }
  return *this;
}

Pidfile::~Pidfile() { release(); }

Status Pidfile::writePid(pid_t pid) {
  std::string text = fmt::format("{}\n", pid);
  if (::ftruncate(fd_, 0) != 0 ||
      ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    return Status::fromErrno(fmt::format("cannot write pidfile {}", path_));
  }
  return {};
}

Status Pidfile::keepAcrossExec() {
  int flags = ::fcntl(fd_, F_GETFD);
  if (flags < 0 || ::fcntl(fd_, F_SETFD, flags & ~FD_CLOEXEC) != 0) {
    return Status::fromErrno(fmt::format("cannot keep pidfile {} across exec", path_));
  }
  return {};
}

void Pidfile::release() noexcept {
  if (fd_ < 0) return;
  // Unlink while still holding the lock, so a starting instance either sees
  // our locked file or none at all.
  if (owner_ == ::getpid() && sameFile(fd_, path_)) {
    // If it cannot be removed, at least leave no pid in it. (Not `(void)`:
    // glibc marks ftruncate warn_unused_result under _FORTIFY_SOURCE, which
    // Debian's build flags set, and a cast does not silence that.)
    if (::unlink(path_.c_str()) != 0 && ::ftruncate(fd_, 0) != 0) warnNotRemoved(path_, errno);
  }
  ::close(fd_);
  fd_ = -1;
}

}  // namespace nsmp::daemon
