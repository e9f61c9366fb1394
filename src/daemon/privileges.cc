#include "daemon/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace nsmp::daemon {
namespace {

// A decimal id that fits and is not (id_t)-1, which the kernel reads as
// "leave unchanged".
template <typename Id>
std::optional<Id> parseNumericId(const std::string& text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  unsigned long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (v >= static_cast<unsigned long long>(static_cast<Id>(-1))) return std::nullopt;
  return static_cast<Id>(v);
}

// Runs the reentrant lookup `fn(buf, size, &result)` with a growing buffer.
// Returns 0 (entry or not-found in *found) or an errno value. `buf` must
// outlive the use of the entry's strings.
template <typename Entry, typename Fn>
int lookupWithBuffer(Fn fn, std::vector<char>& buf, bool* found) {
  buf.resize(4096);
  for (;;) {
    Entry* result = nullptr;
    int rc = fn(buf.data(), buf.size(), &result);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    // glibc reports "not found" as 0 with a null result (POSIX also allows
    // ENOENT and friends); treat those the same.
    if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM) {
      *found = result != nullptr;
      return 0;
    }
    return rc;
  }
}

StartupResult<std::pair<uid_t, std::string>> resolveUser(const std::string& user) {
  std::optional<uid_t> uid =
      user.empty() ? std::optional<uid_t>(::geteuid()) : parseNumericId<uid_t>(user);
  passwd pw{};
  std::vector<char> buf;
  bool found = false;
  int rc;
  if (uid) {
    rc = lookupWithBuffer<passwd>(
        [&](char* b, size_t n, passwd** r) { return ::getpwuid_r(*uid, &pw, b, n, r); }, buf,
        &found);
    if (rc != 0) {
      return StartupError{fmt::format("cannot look up uid {}: {}", *uid, std::strerror(rc))};
    }
    return std::pair<uid_t, std::string>(*uid, found ? pw.pw_name : std::to_string(*uid));
  }
  rc = lookupWithBuffer<passwd>(
      [&](char* b, size_t n, passwd** r) { return ::getpwnam_r(user.c_str(), &pw, b, n, r); }, buf,
      &found);
  if (rc != 0) {
    return StartupError{fmt::format("cannot look up user '{}': {}", user, std::strerror(rc))};
  }
  if (!found) return StartupError{fmt::format("unknown user '{}'", user)};
  return std::pair<uid_t, std::string>(pw.pw_uid, pw.pw_name);
}

StartupResult<std::pair<gid_t, std::string>> resolveGroup(const std::string& group) {
  std::optional<gid_t> gid =
      group.empty() ? std::optional<gid_t>(::getegid()) : parseNumericId<gid_t>(group);
  struct group gr {};
  std::vector<char> buf;
  bool found = false;
  int rc;
  if (gid) {
    rc = lookupWithBuffer<struct group>(
        [&](char* b, size_t n, struct group** r) { return ::getgrgid_r(*gid, &gr, b, n, r); }, buf,
        &found);
    if (rc != 0) {
      return StartupError{fmt::format("cannot look up gid {}: {}", *gid, std::strerror(rc))};
    }
    return std::pair<gid_t, std::string>(*gid, found ? gr.gr_name : std::to_string(*gid));
  }
  rc = lookupWithBuffer<struct group>(
      [&](char* b, size_t n, struct group** r) {
        return ::getgrnam_r(group.c_str(), &gr, b, n, r);
      },
      buf, &found);
  if (rc != 0) {
    return StartupError{fmt::format("cannot look up group '{}': {}", group, std::strerror(rc))};
  }
  if (!found) return StartupError{fmt::format("unknown group '{}'", group)};
  return std::pair<gid_t, std::string>(gr.gr_gid, gr.gr_name);
}

std::string describe(const Credentials& c) {
  return fmt::format("user {} ({}) and group {} ({})", c.user_name, c.uid, c.group_name, c.gid);
}

}  // namespace

StartupResult<Credentials> resolveCredentials(const std::string& user, const std::string& group) {
  auto u = resolveUser(user);
  if (!u) return StartupError{u.error()};
  auto g = resolveGroup(group);
  if (!g) return StartupError{g.error()};
  return Credentials{u->first, g->first, std::move(u->second), std::move(g->second)};
}

StartupStatus dropPrivileges(const Credentials& target) {
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  ::getresuid(&ruid, &euid, &suid);
  ::getresgid(&rgid, &egid, &sgid);
  const bool root = euid == 0;
  const bool same = ruid == target.uid && euid == target.uid && suid == target.uid &&
                    rgid == target.gid && egid == target.gid && sgid == target.gid;
  if (!root && same) return {};

  // Order matters: groups and gid while we still may, the uid last.
  if (root && ::setgroups(0, nullptr) != 0) {
    return StartupError{fmt::format("cannot drop supplementary groups: {}", std::strerror(errno))};
  }
  if (::setresgid(target.gid, target.gid, target.gid) != 0 ||
      ::setresuid(target.uid, target.uid, target.uid) != 0) {
    int err = errno;
    std::string hint = root ? ""
                            : " (only root can change user; start as root or leave "
                              "--metadata_proxy_user/--metadata_proxy_group unset)";
    return StartupError{
        fmt::format("cannot switch to {}: {}{}", describe(target), std::strerror(err), hint)};
  }

  ::getresuid(&ruid, &euid, &suid);
  ::getresgid(&rgid, &egid, &sgid);
  if (ruid != target.uid || euid != target.uid || suid != target.uid || rgid != target.gid ||
      egid != target.gid || sgid != target.gid) {
    return StartupError{fmt::format("switching to {} left other ids in place", describe(target))};
  }
  if (target.uid != 0 && ::setuid(0) == 0) {
    return StartupError{fmt::format("root could be regained after switching to {}; refusing to run",
                                    describe(target))};
  }
  if (target.uid != 0 && target.gid != 0 && ::setgid(0) == 0) {
    return StartupError{
        fmt::format("group root could be regained after switching to {}; refusing "
                    "to run",
                    describe(target))};
  }
  return {};
}

}  // namespace nsmp::daemon
