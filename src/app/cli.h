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

// The same without touching stdout/stderr, for tests. `args` excludes
// argv[0]. `output` is what goes to stdout (help, version); `error` the
// usage line for stderr, with its newline.
struct ParseOutcome {
  std::optional<int> exit_code;
  std::string output;
  std::string error;
};
ParseOutcome parseArguments(const std::vector<std::string>& args, Options* out);

// The listener options alone, for the node's `add` (docs/node.md): a process
// option gets exit code 2 and "--pid_file is a process option (give it to
// node)". Only out->listener is meaningful afterwards.
ParseOutcome parseListenerArguments(const std::vector<std::string>& args, Options* out);

}  // namespace nsmp::app
