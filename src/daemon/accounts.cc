#include "daemon/accounts.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include <fmt/format.h>

extern char** environ;

namespace nsmp::daemon {
namespace {

constexpr const char* kGetentPaths[] = {"/usr/bin/getent", "/bin/getent"};

bool parseId(std::string_view s, unsigned long* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::optional<AccountEntry> parseAccountLine(Database db, const std::string& line) {
  std::vector<std::string_view> fields;
  std::string_view rest(line);
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.remove_suffix(1);
  for (;;) {
    size_t colon = rest.find(':');
    fields.push_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  AccountEntry e;
  if (fields.size() < (db == Database::kPasswd ? 4u : 3u) || fields[0].empty()) return std::nullopt;
  e.name = std::string(fields[0]);
  if (!parseId(fields[2], &e.id)) return std::nullopt;
  if (db == Database::kPasswd && !parseId(fields[3], &e.primary_gid)) return std::nullopt;
  return e;
}

Result<std::optional<AccountEntry>> lookupAccount(Database db, const std::string& key) {
  const char* getent = nullptr;
  for (const char* p : kGetentPaths) {
    if (::access(p, X_OK) == 0) {
      getent = p;
      break;
    }
  }
  if (!getent) {
    return Status(Code::kFailedPrecondition,
                  "cannot look up users and groups: getent(1) is not installed "
                  "(Debian package libc-bin); give numeric ids instead");
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Status::fromErrno(fmt::format("cannot look up '{}': pipe", key));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  const char* database = db == Database::kPasswd ? "passwd" : "group";
  std::string k = key;
  char* argv[] = {const_cast<char*>(getent), const_cast<char*>(database), k.data(), nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, getent, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return Status::fromErrno(fmt::format("cannot run {}", getent), rc);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) {
      if (out.size() < (1u << 20)) out.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // getent: 0 found, 2 not found, 1/3 usage or database problems.
  if (WIFEXITED(status) && WEXITSTATUS(status) == 2) return std::optional<AccountEntry>();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status(Code::kFailedPrecondition,
                  fmt::format("cannot look up {} '{}': getent failed", database, key));
  }
  std::optional<AccountEntry> e = parseAccountLine(db, out.substr(0, out.find('\n')));
  if (!e) {
    return Status(Code::kFailedPrecondition,
                  fmt::format("cannot look up {} '{}': unexpected getent output", database, key));
  }
  return e;
}

}  // namespace nsmp::daemon
