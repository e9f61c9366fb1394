// User and group database look-ups without loading NSS modules into this
// process. The binary is linked statically (small per-network footprint), and
// glibc's NSS modules (libnss_systemd, sssd, ldap) must not be dlopen'ed into a
// static program: they crash or misbehave. Instead the look-up runs
// getent(1), which uses the system's nsswitch.conf exactly as any dynamic
// program would. Start-up only: never on the data path.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/result.h"

namespace nsmp::daemon {

struct AccountEntry {
  std::string name;
  unsigned long id = 0;           // uid or gid
  unsigned long primary_gid = 0;  // passwd entries only
};

enum class Database : uint8_t { kPasswd, kGroup };

// Looks `key` (a name or a decimal id) up. Returns nullopt when there is no
// such entry, an error when the look-up itself failed (getent missing, the
// database unavailable).
Result<std::optional<AccountEntry>> lookupAccount(Database db, const std::string& key);

// Parses one getent line ("name:x:1000:1000:...") for `db`; for tests.
std::optional<AccountEntry> parseAccountLine(Database db, const std::string& line);

}  // namespace nsmp::daemon
