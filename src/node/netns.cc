#include "node/netns.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace nsmp::node {
namespace {

constexpr std::string_view kRunNetns = "/run/netns/";
constexpr std::string_view kProc = "/proc/";
constexpr std::string_view kNsNet = "/ns/net";
constexpr size_t kMaxName = 255;  // NAME_MAX: one path component

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':' || c == '@' || c == '+';
}

// One component of /run/netns: no '/', never "." or ".." (nor any other
// leading dot), nothing a shell or a log would need to quote.
bool isName(std::string_view n) {
  if (n.empty() || n.size() > kMaxName || n.front() == '.') return false;
  for (char c : n) {
    if (!isNameChar(c)) return false;
  }
  return true;
}

// A pid as procfs spells it: decimal, no sign, no leading zero.
bool isPid(std::string_view d) {
  if (d.empty() || d.size() > 10 || d.front() == '0') return false;
  for (char c : d) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

const char* fileKind(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

const char* namespaceKind(int type) {
  switch (type) {
    case CLONE_NEWNS:
      return "a mount namespace";
    case CLONE_NEWUTS:
      return "a UTS namespace";
    case CLONE_NEWIPC:
      return "an IPC namespace";
    case CLONE_NEWUSER:
      return "a user namespace";
    case CLONE_NEWPID:
      return "a PID namespace";
    case CLONE_NEWCGROUP:
      return "a cgroup namespace";
#ifdef CLONE_NEWTIME
    case CLONE_NEWTIME:
      return "a time namespace";
#endif
    default:
      return "an unknown kind of namespace";
  }
}

Status failure(const std::string& netns, const std::string& why) {
  return invalidArgument("netns " + netns + ": " + why);
}

}  // namespace

Result<std::string> netnsPath(const std::string& netns) {
  std::string_view n = netns;
  if (n.starts_with(kRunNetns) && isName(n.substr(kRunNetns.size()))) return netns;
  if (n.size() > kProc.size() + kNsNet.size() && n.starts_with(kProc) && n.ends_with(kNsNet) &&
      isPid(n.substr(kProc.size(), n.size() - kProc.size() - kNsNet.size()))) {
    return netns;
  }
  if (isName(n)) return std::string(kRunNetns) + netns;
  std::string shown = netns.size() > 80 ? netns.substr(0, 80) + "..." : netns;
  return invalidArgument(
      "netns '" + shown +
      "': not a namespace name under /run/netns (letters, digits and -_.:@+, at most 255) "
      "or /proc/<pid>/ns/net");
}

Result<net::Fd> openNetns(const std::string& netns) {
  auto path = netnsPath(netns);
  if (!path) return path.status();
  size_t slash = path->rfind('/');
  std::string dir = path->substr(0, slash);
  std::string leaf = path->substr(slash + 1);
  // /proc/<pid>/ns/net is a "magic" link the kernel resolves to the
  // namespace itself, never to a path anyone chose: it is the one link
  // followed. Under /run/netns (root's, written by `ip netns`) nothing is.
  bool magic = path->starts_with(kProc);
  net::Fd parent(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!parent.valid()) return Status::fromErrno("netns " + netns);
  // Looked at before it is opened: opening a FIFO would wait for a writer
  // and opening a device runs its driver.
  struct stat st;
  if (::fstatat(parent.get(), leaf.c_str(), &st, magic ? 0 : AT_SYMLINK_NOFOLLOW) != 0) {
    return Status::fromErrno("netns " + netns);
  }
  if (!S_ISREG(st.st_mode)) {
    return failure(netns, std::string("not a network namespace (") + fileKind(st.st_mode) + ")");
  }
  net::Fd fd(::openat(parent.get(), leaf.c_str(),
                      O_RDONLY | O_NONBLOCK | O_CLOEXEC | (magic ? 0 : O_NOFOLLOW)));
  if (!fd.valid()) return Status::fromErrno("netns " + netns);
  struct statfs fs;
  if (::fstatfs(fd.get(), &fs) != 0 || fs.f_type != NSFS_MAGIC) {
    return failure(netns, "not a network namespace (a plain file)");
  }
  int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type < 0) return Status::fromErrno("netns " + netns);
  if (type != CLONE_NEWNET) {
    return failure(netns, std::string("not a network namespace (") + namespaceKind(type) + ")");
  }
  return fd;
}

bool sameNamespace(int a, int b) {
  struct stat sa, sb;
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

Result<NamespaceSwitch> NamespaceSwitch::open() {
  net::Fd home(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home.valid()) {
    return Status::fromErrno("cannot open /proc/self/ns/net");
  }
  return NamespaceSwitch(std::move(home));
}

Status NamespaceSwitch::runIn(const std::string& netns, int target,
                              const std::function<Status()>& work) {
  if (::setns(target, CLONE_NEWNET) != 0) return Status::fromErrno("netns " + netns);
  Status done = work();
  if (::setns(home_.get(), CLONE_NEWNET) != 0) {
    // Staying in a VM network's namespace would open the next listener
    // there: stop rather than serve from the wrong place.
    std::fprintf(stderr, "ns-metadata-proxy: cannot return to the home network namespace: %s\n",
                 std::string(errnoText(errno)).c_str());
    ::_exit(1);
  }
  return done;
}

}  // namespace nsmp::node
