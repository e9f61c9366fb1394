// The command line of `ns-metadata-proxy metadata-server` (usage text in
// server_args.cc), parsed without side effects so the unit tests can drive it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "net/socket.h"

namespace nsmp::metadata {

struct ServerArgs {
  std::string socket;        // --socket: the agent front (UNIX), "" when not asked for
  std::string novaListen;    // --nova-listen as given, "" when not asked for
  net::ListenSpec nova;      // parsed --nova-listen
  std::string sharedSecret;  // --shared-secret, or read from --shared-secret-file
  std::string sharedSecretFile;
  std::string data;
  std::optional<unsigned> socketMode;
  size_t maxConnections = 1024;
  std::string logFile;
  bool debug = false;
  bool check = false;
};

// Fills `args`, or returns the exit status when the process should stop now
// (0 after --help, 2 after a usage error, which it has printed to stderr).
// Reads --shared-secret-file (its first line, without the line end).
std::optional<int> parseServerArgs(int argc, char** argv, ServerArgs* args);

// "HOST:PORT" with HOST an IPv4 literal or a bracketed IPv6 literal
// ("[::1]:8775"); PORT 0-65535 (0: the kernel picks one). Errors start
// "--nova-listen <text>: ".
Result<net::ListenSpec> parseListenAddress(std::string_view text);

}  // namespace nsmp::metadata
