// `--engine haproxy`: what Neutron did before this project, kept for
// operators who want haproxy itself. Writes Neutron's haproxy configuration
// for the listener and replaces this process with haproxy.
//
// The pid Neutron tracks is kept: the launcher daemonizes first (double
// fork, as Neutron's 2017 daemon did), the final process writes --pid_file
// (haproxy in the foreground ignores its own `pidfile` line) and holds a
// flock on it that survives the exec, then execs `haproxy -f <conf>`, so the
// pid in the file is haproxy's and a second instance with the same pidfile
// is refused while haproxy runs. The conf path carries the uuid, which is
// how Neutron's process manager recognises the process.
#pragma once

#include <string>

#include "base/result.h"
#include "daemon/process_config.h"
#include "proxy/config.h"

namespace nsmp::haproxy {

// Returns only on failure (exit status for main: 1, after logging why).
int runHaproxyEngine(const daemon::ProcessConfig& process, const proxy::ListenerConfig& listener);

// `ns-metadata-proxy cleanup [--state_path DIR] UUID`: deletes
// <DIR>/ns-metadata-proxy/<UUID>.conf, as Neutron does when it stops a
// proxy. argv[0] is the subcommand ("cleanup"). A missing file is not an
// error (0); any other failure prints why and returns 1; usage errors 2.
int runCleanup(int argc, char** argv);

// <state_path>/ns-metadata-proxy/<uuid>.conf
std::string configPath(const std::string& state_path, const std::string& uuid);

struct ResolvedNames {
  std::string user;
  std::string group;
};
// Neutron's rule: a number is looked up as a uid/gid, anything else (or an
// unknown number) as a name; empty means the effective id. Unknown ones are
// refused ("unknown user or uid 'x'"): haproxy's config needs names.
Result<ResolvedNames> resolveNames(const std::string& user, const std::string& group);

// The first executable `haproxy` on PATH that is not this binary (the
// drop-in entry point may be on PATH too); empty when none.
std::string findHaproxy(const std::string& path_env);

}  // namespace nsmp::haproxy
