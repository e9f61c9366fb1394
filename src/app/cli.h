// Neutron's command line for the metadata proxy (what neutron-ns-metadata-proxy
// accepted, plus our engine options), turned into the process and listener
// configuration. Every option is accepted as `--opt_name VALUE`,
// `--opt_name=VALUE` and with dashes (`--opt-name`); flags also take
// `--noflag` and `--flag=true|false`. Relative paths are made absolute here
// because the daemon changes to "/".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "daemon/process_config.h"
#include "proxy/config.h"

namespace nsmp::app {

enum class Engine : uint8_t { kNative, kHaproxy };

struct Options {
  daemon::ProcessConfig process;
  proxy::ListenerConfig listener;
  Engine engine = Engine::kNative;
};

// Returns std::nullopt to go on running (and fills *out), or an exit code:
// 0 after --help/--version (printed to stdout), 2 after a usage error (one
// line on stderr saying what to fix, e.g. "ns-metadata-proxy:
// --metadata_port: 'abc' is not a port number (1-65535, or 0 for any free
// port)"). *out is only written on success. Giving both --network_id and
// --router_id logs a warning (nsmp::log) and uses the network id.
std::optional<int> parseCommandLine(int argc, char** argv, Options* out);

// What a command line asks for: run with `options`, or print `print` (the
// help or the version) to stdout and exit 0.
struct Command {
  Options options;
  std::string print;  // not empty: --help or --version was given
};

// The same without touching stdout/stderr, for tests. `args` excludes
// argv[0]. A usage error is kInvalidArgument with the line to fix, without
// the program name or a newline ("--metadata_port: 'abc' is not a port
// number (1-65535, or 0 for any free port)").
Result<Command> parseArguments(const std::vector<std::string>& args);

// The listener options alone, for the node's `add` (docs/node.md): a process
// option is refused ("--pid_file is a process option (give it to node)").
// Only options.listener is meaningful afterwards.
Result<Command> parseListenerArguments(const std::vector<std::string>& args);

}  // namespace nsmp::app
