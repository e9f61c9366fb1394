// Real namespaces and files under /run/netns for the node's unit tests.
// Everything is named after the test process's pid and removed again;
// creating namespaces and entries under /run/netns needs root, so tests
// that use these skip without it.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace nsmp::node::testing {

inline bool isRoot() { return ::geteuid() == 0; }

// A child process alone in a new network namespace (lo down), until
// destroyed: its namespace is /proc/<pid>/ns/net.
class NamespaceHolder {
 public:
  NamespaceHolder() {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      char ok = ::unshare(CLONE_NEWNET) == 0 ? '1' : '0';
      [[maybe_unused]] ssize_t n = ::write(ready[1], &ok, 1);  // the parent reads "0" on EOF
      for (;;) ::pause();
    }
    ::close(ready[1]);
    char ok = '0';
    if (pid_ < 0 || ::read(ready[0], &ok, 1) != 1 || ok != '1') ok_ = false;
    ::close(ready[0]);
  }
  ~NamespaceHolder() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  NamespaceHolder(const NamespaceHolder&) = delete;
  NamespaceHolder& operator=(const NamespaceHolder&) = delete;

  bool ok() const { return pid_ > 0 && ok_; }
  std::string path() const { return "/proc/" + std::to_string(pid_) + "/ns/net"; }

 private:
  pid_t pid_ = -1;
  bool ok_ = true;
};

// /run/netns/nsmp-unit-<pid>-<what>, made by the test as something other
// than a network namespace; removed (unmounted first) when destroyed.
class RunNetnsEntry {
 public:
  enum class Kind { kFifo, kFile, kDirectory, kSymlinkToOwnNetns, kUtsNamespace };

  RunNetnsEntry(Kind kind, const std::string& what)
      : name_("nsmp-unit-" + std::to_string(::getpid()) + "-" + what),
        path_("/run/netns/" + name_) {
    ::mkdir("/run/netns", 0755);  // as `ip netns add` would
    switch (kind) {
      case Kind::kFifo:
        ok_ = ::mkfifo(path_.c_str(), 0600) == 0;
        break;
      case Kind::kFile:
        ok_ = makeFile();
        break;
      case Kind::kDirectory:
        ok_ = ::mkdir(path_.c_str(), 0700) == 0;
        break;
      case Kind::kSymlinkToOwnNetns:
        ok_ = ::symlink(("/proc/" + std::to_string(::getpid()) + "/ns/net").c_str(),
                        path_.c_str()) == 0;
        break;
      case Kind::kUtsNamespace:
        ok_ = makeFile() &&
              ::mount("/proc/self/ns/uts", path_.c_str(), nullptr, MS_BIND, nullptr) == 0;
        mounted_ = ok_;
        break;
    }
  }
  ~RunNetnsEntry() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    if (::unlink(path_.c_str()) != 0) ::rmdir(path_.c_str());
  }
  RunNetnsEntry(const RunNetnsEntry&) = delete;
  RunNetnsEntry& operator=(const RunNetnsEntry&) = delete;

  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }

 private:
  bool makeFile() {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    ::close(fd);
    return true;
  }

  std::string name_;
  std::string path_;
  bool ok_ = false;
  bool mounted_ = false;
};

}  // namespace nsmp::node::testing
