// Who the proxy runs as after it has bound its listeners (Neutron's
// metadata_proxy_user / metadata_proxy_group). Bind first, then drop: the
// port may be privileged and the namespace's sockets are opened as root.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"

namespace nsmp::daemon {

struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user_name;   // from the passwd database, else the number as text
  std::string group_name;  // from the group database, else the number as text
};

// `user` and `group` are each a name or a decimal number (Neutron: "uid or
// name"); empty means the effective uid / gid. A number need not exist in the
// databases (as in Neutron); an unknown name is refused ("unknown user
// 'nosuch'"). Call before binding so a typo fails before anything happens.
Result<Credentials> resolveCredentials(const std::string& user, const std::string& group);

// Switches the whole process (real, effective and saved ids; supplementary
// groups emptied) to `target`. As root this always happens; as another user
// it is a no-op when the ids already match and an error otherwise. Afterwards
// verifies that root cannot be regained (setuid(0) must fail unless the
// target is root) and returns an error if it can -- the caller must exit.
Status dropPrivileges(const Credentials& target);

}  // namespace nsmp::daemon
