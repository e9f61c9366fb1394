#include "daemon/privileges.h"

#include "base/number_text.h"
#include "daemon/accounts.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace nsmp::daemon {
namespace {

// A decimal id that fits and is not (id_t)-1, which the kernel reads as
// "leave unchanged".
template <typename Id>
std::optional<Id> parseNumericId(std::string_view text) {
  std::optional<uint64_t> v = parseDecimal(text);
  if (!v || *v >= uint64_t{static_cast<Id>(-1)}) return std::nullopt;
  return static_cast<Id>(*v);
}

Result<std::pair<unsigned long, std::string>> resolve(Database db, const std::string& key,
                                                      unsigned long effective) {
  const char* what = db == Database::kPasswd ? "user" : "group";
  std::optional<unsigned long> id;
  if (key.empty()) {
    id = effective;
  } else if (db == Database::kPasswd) {
    if (auto n = parseNumericId<uid_t>(key)) id = *n;
  } else if (auto n = parseNumericId<gid_t>(key)) {
    id = *n;
  }
  if (key.empty()) {
    // Staying who we are needs no look-up; skipping getent keeps the start
    // fast (the name only labels messages).
    return std::pair<unsigned long, std::string>(*id, std::to_string(*id));
  }
  auto found = lookupAccount(db, id ? std::to_string(*id) : key);
  if (!found) return found.status();
  if (id) {
    // A number need not exist in the database (as in Neutron).
    std::string name = *found ? (*found)->name : std::to_string(*id);
    return std::pair<unsigned long, std::string>(*id, std::move(name));
  }
  if (!*found) return Status(Code::kNotFound, fmt::format("unknown {} '{}'", what, key));
  return std::pair<unsigned long, std::string>((*found)->id, (*found)->name);
}

std::string describe(const Credentials& c) {
  return fmt::format("user {} ({}) and group {} ({})", c.user_name, c.uid, c.group_name, c.gid);
}

}  // namespace

Result<Credentials> resolveCredentials(const std::string& user, const std::string& group) {
  auto u = resolve(Database::kPasswd, user, ::geteuid());
  if (!u) return u.status();
  auto g = resolve(Database::kGroup, group, ::getegid());
  if (!g) return g.status();
  return Credentials{static_cast<uid_t>(u->first), static_cast<gid_t>(g->first),
                     std::move(u->second), std::move(g->second)};
}

Status dropPrivileges(const Credentials& target) {
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
    return Status::fromErrno("cannot drop supplementary groups");
  }
  if (::setresgid(target.gid, target.gid, target.gid) != 0 ||
      ::setresuid(target.uid, target.uid, target.uid) != 0) {
    int err = errno;
    std::string hint = root ? ""
                            : " (only root can change user; start as root or leave "
                              "--metadata_proxy_user/--metadata_proxy_group unset)";
    return Status(Code::kFailedPrecondition,
                  fmt::format("cannot switch to {}: {}{}", describe(target), errnoText(err), hint));
  }

  ::getresuid(&ruid, &euid, &suid);
  ::getresgid(&rgid, &egid, &sgid);
  if (ruid != target.uid || euid != target.uid || suid != target.uid || rgid != target.gid ||
      egid != target.gid || sgid != target.gid) {
    return Status(Code::kFailedPrecondition,
                  fmt::format("switching to {} left other ids in place", describe(target)));
  }
  if (target.uid != 0 && ::setuid(0) == 0) {
    return Status(Code::kFailedPrecondition,
                  fmt::format("root could be regained after switching to {}; refusing to run",
                              describe(target)));
  }
  if (target.uid != 0 && target.gid != 0 && ::setgid(0) == 0) {
    return Status(Code::kFailedPrecondition,
                  fmt::format("group root could be regained after switching to {}; refusing "
                              "to run",
                              describe(target)));
  }
  return {};
}

}  // namespace nsmp::daemon
