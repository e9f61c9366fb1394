// haproxy's command line, so the binary can be installed as `haproxy` (see
// docs/haproxy.md) and run by Neutron's and OVN's agents unchanged:
//
//   haproxy -f FILE            run the native engine from FILE
//   haproxy -c -f FILE         check FILE: "Configuration file is valid", exit 0,
//                              or "FILE: line N: ..." on stderr, exit 1
//   -db                        stay in the foreground (overrides `daemon`)
//   -D                         daemonize (as `daemon` in global)
//   -p PIDFILE                 pidfile (overrides `pidfile` in global)
//   -q                         quiet (accepted; the engine prints nothing at start)
//   -v, -vv                    version
//   -h                         usage and options on stdout, exit 0
//
// Anything else (master-worker -W/-Ws, -sf/-st reloads, several -f, a
// directory as -f) is refused with a message: those modes do not exist here.
#pragma once

#include <optional>

#include "daemon/process_config.h"
#include "proxy/config.h"

namespace nsmp::haproxy {

// True when main should use haproxy mode: argv[0]'s basename is "haproxy",
// or the first argument is one of haproxy's (-f, -c, -v, -vv, -db, -D, -p).
bool wantsHaproxyMode(int argc, char** argv);

// Parses the command line and the configuration file. Returns an exit status
// when there is nothing to run (check mode, version, errors, all reported on
// stdout/stderr), or nullopt with *process and *listener filled: run the
// native engine with them. Warnings are logged with log::warning.
std::optional<int> parseHaproxyArgs(int argc, char** argv, daemon::ProcessConfig* process,
                                    proxy::ListenerConfig* listener);

}  // namespace nsmp::haproxy
