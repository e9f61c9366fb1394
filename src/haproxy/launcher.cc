#include "haproxy/launcher.h"

#include "daemon/accounts.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/log.h"
#include "daemon/daemonize.h"
#include "haproxy/config_writer.h"
#include "proxy/listener_id.h"

namespace nsmp::haproxy {
namespace {

bool isNumber(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 10;
}

std::string realPath(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : std::string();
}

daemon::StartupStatus writeFileAtomically(const std::string& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return daemon::StartupError{
        fmt::format("cannot create directory {}: {}", dir.string(), ec.message())};
  }
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return daemon::StartupError{fmt::format("cannot write {}: {}", tmp, std::strerror(errno))};
  }
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return daemon::StartupError{fmt::format("cannot write {}: {}", tmp, std::strerror(err))};
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return daemon::StartupError{fmt::format("cannot write {}: {}", path, std::strerror(err))};
  }
  return {};
}

// Runs `haproxy -c -f conf` so a configuration haproxy rejects is reported
// to whoever started us, before daemonizing hides stderr.
daemon::StartupStatus checkWithHaproxy(const std::string& haproxy, const std::string& conf) {
  pid_t pid = ::fork();
  if (pid < 0) return daemon::StartupError{fmt::format("fork: {}", std::strerror(errno))};
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, STDOUT_FILENO);  // "Configuration file is valid"
    const char* args[] = {"haproxy", "-c", "-f", conf.c_str(), nullptr};
    ::execv(haproxy.c_str(), const_cast<char* const*>(args));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return daemon::StartupError{
      fmt::format("{} rejected the configuration {} (see its messages above)", haproxy, conf)};
}

// Opens, locks and fills the pidfile. The descriptor is deliberately not
// close-on-exec: haproxy inherits it and with it the lock.
daemon::StartupStatus lockPidfile(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_NOFOLLOW, 0644);
  if (fd < 0) {
    return daemon::StartupError{
        fmt::format("cannot open pidfile {}: {}", path, std::strerror(errno))};
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return daemon::StartupError{fmt::format(
        "pidfile {} is locked by a running process; is the proxy already running?", path)};
  }
  std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int err = errno;
    ::close(fd);
    return daemon::StartupError{
        fmt::format("cannot write pidfile {}: {}", path, std::strerror(err))};
  }
  return {};  // fd stays open for the life of the process (and of haproxy)
}

}  // namespace

std::string configPath(const std::string& state_path, const std::string& uuid) {
  return (std::filesystem::path(state_path) / "ns-metadata-proxy" / (uuid + ".conf")).string();
}

daemon::StartupResult<ResolvedNames> resolveNames(const std::string& user,
                                                  const std::string& group) {
  ResolvedNames names;
  std::string u = user.empty() ? std::to_string(::geteuid()) : user;
  std::string g = group.empty() ? std::to_string(::getegid()) : group;
  // By id first (a number), then by name, as haproxy's own user/group lines.
  auto find =
      [](daemon::Database db,
         const std::string& key) -> daemon::StartupResult<std::optional<daemon::AccountEntry>> {
    if (isNumber(key)) {
      auto byId = daemon::lookupAccount(db, key);
      if (!byId || *byId) return byId;
    }
    return daemon::lookupAccount(db, key);
  };
  auto pw = find(daemon::Database::kPasswd, u);
  if (!pw) return daemon::StartupError{pw.error()};
  if (!*pw) {
    return daemon::StartupError{fmt::format(
        "unknown user or uid '{}' (--metadata_proxy_user): haproxy needs a user that exists", u)};
  }
  names.user = (*pw)->name;
  auto gr = find(daemon::Database::kGroup, g);
  if (!gr) return daemon::StartupError{gr.error()};
  if (!*gr) {
    return daemon::StartupError{fmt::format(
        "unknown group or gid '{}' (--metadata_proxy_group): haproxy needs a group that exists",
        g)};
  }
  names.group = (*gr)->name;
  return names;
}

std::string findHaproxy(const std::string& path_env) {
  std::string self = realPath("/proc/self/exe");
  size_t pos = 0;
  while (pos <= path_env.size()) {
    size_t colon = path_env.find(':', pos);
    if (colon == std::string::npos) colon = path_env.size();
    std::string dir = path_env.substr(pos, colon - pos);
    pos = colon + 1;
    if (dir.empty()) continue;  // an empty entry would mean the working directory
    std::string candidate = dir + "/haproxy";
    struct stat st;
    if (::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::access(candidate.c_str(), X_OK) != 0) continue;
    if (!self.empty() && realPath(candidate) == self) continue;  // our drop-in entry point
    return candidate;
  }
  return {};
}

int runHaproxyEngine(const daemon::ProcessConfig& process, const proxy::ListenerConfig& listener) {
  auto names = resolveNames(process.user, process.group);
  if (!names) {
    log::error("{}", names.error());
    return 1;
  }
  const char* path_env = std::getenv("PATH");
  std::string haproxy = findHaproxy(path_env ? path_env : "/usr/sbin:/usr/bin:/sbin:/bin");
  if (haproxy.empty()) {
    log::error(
        "--engine haproxy: no haproxy executable on PATH; install haproxy or use --engine native "
        "(the built-in engine, which needs no haproxy)");
    return 1;
  }
  WriterInput in{&process, &listener, names->user, names->group};
  std::string conf = configPath(process.state_path, listener.uuid);
  if (auto s = writeFileAtomically(conf, renderHaproxyConfig(in)); !s) {
    log::error("{}", s.error());
    return 1;
  }
  log::flush();
  if (auto s = checkWithHaproxy(haproxy, conf); !s) {
    log::error("{}", s.error());
    return 1;
  }
  daemon::Daemonizer daemonizer(process.daemonize);
  if (auto s = daemonizer.start(); !s) {
    log::error("{}", s.error());
    return 1;
  }
  if (!process.pid_file.empty()) {
    if (auto s = lockPidfile(process.pid_file); !s) {
      log::error("{}", s.error());
      daemonizer.fail(s.error());
      return 1;
    }
  }
  log::info("starting {} -f {}", haproxy, conf);
  log::flush();
  // haproxy binds after the exec; its own failures show in syslog (its log
  // lines) and as the process exiting, which Neutron's monitor respawns.
  daemonizer.ready();
  const char* args[] = {"haproxy", "-f", conf.c_str(), nullptr};
  ::execv(haproxy.c_str(), const_cast<char* const*>(args));
  int err = errno;
  log::error("cannot run {}: {}", haproxy, std::strerror(err));
  if (!process.pid_file.empty()) ::unlink(process.pid_file.c_str());
  return 1;
}

int runCleanup(int argc, char** argv) {
  std::string state_path = "/var/lib/neutron";
  std::string uuid;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string value;
    bool has_inline = false;
    if (size_t eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_inline = true;
    }
    if (a == "--help" || a == "-h") {
      std::fputs(
          "usage: ns-metadata-proxy cleanup [--state_path DIR] UUID\n"
          "\n"
          "Deletes DIR/ns-metadata-proxy/UUID.conf, the haproxy configuration\n"
          "`--engine haproxy` wrote for the network or router UUID. Exit 0 also when\n"
          "it is already gone; 1 when it cannot be deleted; 2 on a usage error.\n"
          "\n"
          "  --state_path DIR  Neutron's state directory (default /var/lib/neutron)\n"
          "  --help            this text\n",
          stdout);
      return 0;
    }
    if (a == "--state_path" || a == "--state-path") {
      if (!has_inline) {
        if (i + 1 >= argc) {
          std::fprintf(stderr, "ns-metadata-proxy cleanup: --state_path needs a directory\n");
          return 2;
        }
        value = argv[++i];
      }
      state_path = value;
    } else if (a.starts_with('-')) {
      std::fprintf(stderr,
                   "ns-metadata-proxy cleanup: unknown option %s (usage: cleanup [--state_path "
                   "DIR] UUID)\n",
                   argv[i]);
      return 2;
    } else if (uuid.empty()) {
      uuid = a;
    } else {
      std::fprintf(stderr, "ns-metadata-proxy cleanup: give exactly one UUID\n");
      return 2;
    }
  }
  if (uuid.empty()) {
    std::fprintf(stderr,
                 "ns-metadata-proxy cleanup: give the UUID of the network or router "
                 "(usage: cleanup [--state_path DIR] UUID)\n");
    return 2;
  }
  if (!proxy::isSafeId(uuid)) {
    std::fprintf(stderr, "ns-metadata-proxy cleanup: the UUID %s\n",
                 proxy::idProblem(uuid).c_str());
    return 2;
  }
  std::string conf = configPath(state_path, uuid);
  if (::unlink(conf.c_str()) != 0 && errno != ENOENT) {
    std::fprintf(stderr, "ns-metadata-proxy cleanup: cannot delete %s: %s\n", conf.c_str(),
                 std::strerror(errno));
    return 1;
  }
  return 0;
}

}  // namespace nsmp::haproxy
