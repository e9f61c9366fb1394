#include "node/opener.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "node/netns.h"
#include "proxy/listen_sockets.h"

namespace nsmp::node {
namespace {

constexpr size_t kMaxMessage = 16384;

bool openHere(NamespaceSwitch& netns, const proxy::ListenerConfig& config,
              std::vector<net::Fd>* out, std::string* error) {
  std::string where = config.netns.empty() ? "" : " in " + config.netns;
  auto opened = netns.runIn(config.netns, [&](std::string* e) {
    return proxy::openListeningSockets(config, where, out, e);
  });
  if (!opened) *error = opened.error();
  return opened.ok();
}

class LocalOpener final : public SocketOpener {
 public:
  explicit LocalOpener(NamespaceSwitch netns) : netns_(std::move(netns)) {}
  bool open(const proxy::ListenerConfig& config, std::vector<net::Fd>* out,
            std::string* error) override {
    return openHere(netns_, config, out, error);
  }

 private:
  NamespaceSwitch netns_;
};

// Request: NUL-separated fields: netns, maxconn, then host, port, interface
// per address. Reply: "1" or "0<error>", with the sockets attached.
std::string encode(const proxy::ListenerConfig& c) {
  std::string m = c.netns + '\0' + std::to_string(c.maxconn) + '\0';
  for (const proxy::BindAddress& b : c.binds) {
    m += b.host + '\0' + std::to_string(b.port) + '\0' + b.interface + '\0';
  }
  return m;
}

bool decode(std::string_view m, proxy::ListenerConfig* c) {
  std::vector<std::string> f;
  for (size_t start = 0; start < m.size();) {
    size_t end = m.find('\0', start);
    if (end == std::string_view::npos) return false;
    f.emplace_back(m.substr(start, end - start));
    start = end + 1;
  }
  if (f.size() < 2 || (f.size() - 2) % 3 != 0 || (f.size() - 2) / 3 > kMaxBinds) return false;
  c->netns = f[0];
  c->maxconn = static_cast<uint32_t>(std::strtoul(f[1].c_str(), nullptr, 10));
  c->binds.clear();
  for (size_t i = 2; i < f.size(); i += 3) {
    c->binds.push_back(
        {f[i], static_cast<uint16_t>(std::strtoul(f[i + 1].c_str(), nullptr, 10)), f[i + 2]});
  }
  return true;
}

bool sendWithFds(int channel, const std::string& bytes, const std::vector<net::Fd>& fds) {
  iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxBinds)];
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    for (size_t i = 0; i < fds.size(); ++i) {
      int fd = fds[i].get();
      std::memcpy(CMSG_DATA(cm) + i * sizeof(int), &fd, sizeof fd);
    }
  }
  ssize_t n;
  do {
    n = ::sendmsg(channel, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(bytes.size());
}

// Returns the message length, 0 at EOF, -1 on error; received fds in *fds.
ssize_t receiveWithFds(int channel, char* buf, size_t size, std::vector<net::Fd>* fds) {
  iovec iov{buf, size};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxBinds)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(channel, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); n >= 0 && cm; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
      fds->emplace_back(fd);
    }
  }
  if (n >= 0 && (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) return -1;
  return n;
}

// The helper's whole life: one request, one reply, until the node goes.
[[noreturn]] void serveRequests(int channel) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  auto netns = NamespaceSwitch::open();
  char buf[kMaxMessage];
  for (;;) {
    std::vector<net::Fd> ignored;
    ssize_t n = receiveWithFds(channel, buf, sizeof buf, &ignored);
    if (n <= 0) ::_exit(0);
    proxy::ListenerConfig config;
    std::vector<net::Fd> fds;
    std::string error;
    bool ok = false;
    if (!netns) {
      error = netns.error();
    } else if (!decode({buf, static_cast<size_t>(n)}, &config)) {
      error = "socket helper: malformed request";
    } else {
      ok = openHere(*netns, config, &fds, &error);
    }
    if (!sendWithFds(channel, ok ? "1" : "0" + error, fds)) ::_exit(1);
  }
}

class HelperOpener final : public SocketOpener {
 public:
  HelperOpener(net::Fd channel, pid_t pid) : channel_(std::move(channel)), pid_(pid) {}
  ~HelperOpener() override {
    channel_.reset();  // the helper sees EOF and exits
    ::waitpid(pid_, nullptr, 0);
  }

  bool open(const proxy::ListenerConfig& config, std::vector<net::Fd>* out,
            std::string* error) override {
    if (config.binds.size() > kMaxBinds) {
      *error = "at most " + std::to_string(kMaxBinds) + " addresses per listener";
      return false;
    }
    std::string request = encode(config);
    if (request.size() > kMaxMessage) {
      *error = "listener addresses too long";
      return false;
    }
    if (!sendWithFds(channel_.get(), request, {})) {
      *error = std::string("socket helper is gone: ") + std::strerror(errno);
      return false;
    }
    char buf[kMaxMessage];
    std::vector<net::Fd> fds;
    ssize_t n = receiveWithFds(channel_.get(), buf, sizeof buf, &fds);
    if (n <= 0) {
      *error = "socket helper is gone";
      return false;
    }
    if (buf[0] != '1') {
      error->assign(buf + 1, static_cast<size_t>(n - 1));
      return false;
    }
    if (fds.size() != config.binds.size()) {
      *error = "socket helper returned " + std::to_string(fds.size()) + " sockets for " +
               std::to_string(config.binds.size()) + " addresses";
      return false;
    }
    *out = std::move(fds);
    return true;
  }

 private:
  net::Fd channel_;
  pid_t pid_;
};

}  // namespace

daemon::StartupResult<std::unique_ptr<SocketOpener>> localOpener() {
  auto netns = NamespaceSwitch::open();
  if (!netns) return daemon::StartupError{netns.error()};
  return std::unique_ptr<SocketOpener>(new LocalOpener(std::move(*netns)));
}

daemon::StartupResult<std::unique_ptr<SocketOpener>> startHelper() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return daemon::StartupError{std::string("socketpair: ") + std::strerror(errno)};
  }
  net::Fd mine(pair[0]), theirs(pair[1]);
  pid_t pid = ::fork();
  if (pid < 0) return daemon::StartupError{std::string("fork: ") + std::strerror(errno)};
  if (pid == 0) {
    mine.reset();
    serveRequests(theirs.get());
  }
  return std::unique_ptr<SocketOpener>(new HelperOpener(std::move(mine), pid));
}

}  // namespace nsmp::node
