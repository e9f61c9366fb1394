#include "haproxy/launcher.h"

#include "daemon/accounts.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
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
#include "daemon/pidfile.h"
#include "haproxy/config_writer.h"
#include "proxy/listener_id.h"

namespace nsmp::haproxy {
namespace {

std::string realPath(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : std::string();
}

Status writeFileAtomically(const std::string& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status(Code::kFailedPrecondition,
                  fmt::format("cannot create directory {}: {}", dir.string(), ec.message()));
  }
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::fromErrno(fmt::format("cannot write {}", tmp));
  }
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::fromErrno(fmt::format("cannot write {}", tmp), err);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::fromErrno(fmt::format("cannot write {}", path), err);
  }
  return {};
}

// Runs `haproxy -c -f conf` so a configuration haproxy rejects is reported
// to whoever started us, before daemonizing hides stderr.
Status checkWithHaproxy(const std::string& haproxy, const std::string& conf) {
  pid_t pid = ::fork();
  if (pid < 0) return Status::fromErrno("fork");
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
  return Status(
      Code::kFailedPrecondition,
      fmt::format("{} rejected the configuration {} (see its messages above)", haproxy, conf));
}

// The pidfile, locked and filled, its descriptor inherited by haproxy (which
// keeps our pid) and with it the lock.
Result<daemon::Pidfile> lockPidfileForExec(const std::string& path) {
  auto pidfile = daemon::Pidfile::acquire(path);
  if (!pidfile && pidfile.status().code() == Code::kAlreadyExists) {
    // This engine's wording, which operators' scripts may match.
    return Status(
        Code::kAlreadyExists,
        fmt::format("pidfile {} is locked by a running process; is the proxy already running?",
                    path));
  }
  if (!pidfile) return pidfile;
  if (Status s = pidfile->keepAcrossExec(); !s) return s;
  return pidfile;
}

}  // namespace

std::string configPath(const std::string& state_path, const std::string& uuid) {
  return (std::filesystem::path(state_path) / "ns-metadata-proxy" / (uuid + ".conf")).string();
}

Result<ResolvedNames> resolveNames(const std::string& user, const std::string& group) {
  // getent(1) reads a number as an id and anything else as a name, as
  // haproxy's own user/group lines do; haproxy needs the entry to exist, even
  // for a number.
  auto nameOf = [](daemon::Database db, const std::string& key) -> Result<std::string> {
    auto found = daemon::lookupAccount(db, key);
    if (!found) return found.status();
    if (*found) return (*found)->name;
    bool passwd = db == daemon::Database::kPasswd;
    return Status(
        Code::kNotFound,
        fmt::format("unknown {0} or {1} '{2}' (--metadata_proxy_{0}): haproxy needs a {0} "
                    "that exists",
                    passwd ? "user" : "group", passwd ? "uid" : "gid", key));
  };
  auto u = nameOf(daemon::Database::kPasswd, user.empty() ? std::to_string(::geteuid()) : user);
  if (!u) return u.status();
  auto g = nameOf(daemon::Database::kGroup, group.empty() ? std::to_string(::getegid()) : group);
  if (!g) return g.status();
  return ResolvedNames{std::move(*u), std::move(*g)};
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
    log::error("{}", names.status().message());
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
    log::error("{}", s.message());
    return 1;
  }
  log::flush();
  if (auto s = checkWithHaproxy(haproxy, conf); !s) {
    log::error("{}", s.message());
    return 1;
  }
  daemon::Daemonizer daemonizer(process.daemonize);
  if (auto s = daemonizer.start(); !s) {
    log::error("{}", s.message());
    return 1;
  }
  std::optional<daemon::Pidfile> pidfile;
  if (!process.pid_file.empty()) {
    auto locked = lockPidfileForExec(process.pid_file);
    if (!locked) {
      log::error("{}", locked.status().message());
      daemonizer.fail(locked.status().message());
      return 1;
    }
    pidfile.emplace(std::move(*locked));
  }
  log::info("starting {} -f {}", haproxy, conf);
  log::flush();
  // haproxy binds after the exec; its own failures show in syslog (its log
  // lines) and as the process exiting, which Neutron's monitor respawns.
  daemonizer.ready();
  const char* args[] = {"haproxy", "-f", conf.c_str(), nullptr};
  ::execv(haproxy.c_str(), const_cast<char* const*>(args));
  int err = errno;
  log::error("{}", Status::fromErrno("cannot run " + haproxy, err).message());
  return 1;  // `pidfile` is removed on the way out
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
                 std::string(errnoText(errno)).c_str());
    return 1;
  }
  return 0;
}

}  // namespace nsmp::haproxy
