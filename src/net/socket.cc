#include "net/socket.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "net/address.h"

namespace nsmp::net {

Result<Fd> listenTcp(const ListenSpec& spec) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (Status s = makeSockaddr(spec.host, spec.port, spec.interface, &ss, &len); !s) return s;
  Fd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Status::fromErrno("socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6) {
    int v6only = spec.v6only ? 1 : 0;
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  }
  if (!spec.interface.empty()) {
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, spec.interface.c_str(),
                     static_cast<socklen_t>(spec.interface.size())) != 0) {
      return Status::fromErrno("bind to interface");
    }
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
    return Status::fromErrno("bind");
  if (::listen(fd.get(), spec.backlog) != 0) return Status::fromErrno("listen");
  return fd;
}

namespace {
Status fillUnix(const std::string& path, sockaddr_un* sun) {
  std::memset(sun, 0, sizeof *sun);
  sun->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sun->sun_path) {
    return Status(Code::kInvalidArgument, "UNIX socket path is empty or too long");
  }
  std::memcpy(sun->sun_path, path.data(), path.size());
  return {};
}

// Whether a process listens on the socket file: a connect succeeds, or the
// backlog is full (EAGAIN). A stale file answers ECONNREFUSED.
bool answers(const sockaddr_un& sun) {
  Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe.valid()) return false;
  return ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun) == 0 ||
         errno == EAGAIN;
}
}  // namespace

Result<Fd> connectUnix(const std::string& path) {
  sockaddr_un sun;
  if (Status s = fillUnix(path, &sun); !s) return s;
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Status::fromErrno("socket");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
    return Status::fromErrno("connect");
  }
  return fd;
}

Result<Fd> listenUnix(const std::string& path, int backlog, std::optional<mode_t> mode) {
  sockaddr_un sun;
  if (Status s = fillUnix(path, &sun); !s) return s;
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    if (answers(sun))
      return Status(Code::kAlreadyExists, "another process is listening on " + path);
    ::unlink(path.c_str());
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Status::fromErrno("socket");
  // bind() creates the file 0777 & ~umask: the umask gives it `mode` at once.
  const mode_t old_mask = mode ? ::umask(~*mode & 0777) : 0;
  const int bound = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun);
  const int bind_errno = errno;
  if (mode) ::umask(old_mask);
  if (bound != 0) return Status::fromErrno("bind", bind_errno);
  if (::listen(fd.get(), backlog) != 0) return Status::fromErrno("listen");
  return fd;
}

}  // namespace nsmp::net
