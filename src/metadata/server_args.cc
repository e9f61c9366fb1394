#include "metadata/server_args.h"

#include <charconv>
#include <cstdio>
#include <fstream>

#include "base/number_text.h"
#include "net/address.h"

namespace nsmp::metadata {
namespace {

constexpr const char* kUsage =
    "usage: ns-metadata-proxy metadata-server --data FILE\n"
    "           [--socket PATH] [--nova-listen HOST:PORT\n"
    "            (--shared-secret SECRET | --shared-secret-file PATH)] [options]\n"
    "\n"
    "Answers metadata requests from a JSON data file (format: examples/README.md),\n"
    "reloaded when it changes, for labs, demos and tests. Two fronts, either or both:\n"
    "\n"
    "  --socket PATH          play Neutron's metadata agent and Nova behind the proxy:\n"
    "                         a UNIX socket (the proxy's --metadata_proxy_socket); the\n"
    "                         instance is found from X-Neutron-*-ID and X-Forwarded-For\n"
    "  --nova-listen HOST:PORT\n"
    "                         play Nova's metadata API behind a real Neutron metadata\n"
    "                         agent: plain HTTP on TCP (e.g. 127.0.0.1:8775, [::1]:8775;\n"
    "                         port 0 picks a free one, logged); the instance is the\n"
    "                         X-Instance-ID the agent signed\n"
    "  --shared-secret SECRET the agent's metadata_proxy_shared_secret (needed with\n"
    "                         --nova-listen; visible in ps: prefer the file)\n"
    "  --shared-secret-file PATH\n"
    "                         read the secret from the first line of PATH instead\n"
    "                         (surrounding blanks ignored, as in the agent's ini)\n"
    "\n"
    "  --data FILE            instances and routers (JSON)\n"
    "  --socket-mode MODE     octal permissions of the socket, e.g. 0666 (default: umask)\n"
    "  --max-connections N    open connections per front at most (default 1024)\n"
    "  --log-file PATH        log there instead of stderr (reopened on SIGHUP)\n"
    "  --debug                debug logging\n"
    "  --check                validate the data file and exit (0: valid)\n"
    "  --help                 this text\n";

int usageError(const std::string& message) {
  std::fprintf(stderr, "ns-metadata-proxy metadata-server: %s (see --help)\n", message.c_str());
  return 2;
}

template <typename T>
bool parseNumber(std::string_view text, int base, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out, base);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// The first line of the file without surrounding blanks and line end, as
// oslo.config reads `metadata_proxy_shared_secret = ...` from the agent's ini.
Result<std::string> readSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalidArgument("cannot read --shared-secret-file " + path);
  std::string line;
  std::getline(in, line);
  size_t first = line.find_first_not_of(" \t\r");
  size_t last = line.find_last_not_of(" \t\r");
  line = first == std::string::npos ? std::string() : line.substr(first, last - first + 1);
  if (line.empty()) {
    return invalidArgument("--shared-secret-file " + path +
                           " is empty: put the secret on its first line");
  }
  return line;
}

// An option as given: "--name=value" split at the first '=', anything else
// a name alone.
struct GivenOption {
  std::string_view name;
  std::optional<std::string_view> inlineValue;
};

GivenOption splitOption(std::string_view arg) {
  auto eq = arg.find('=');
  if (!arg.starts_with("--") || eq == std::string_view::npos) return {arg, std::nullopt};
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

// The options that take a value (--name VALUE or --name=VALUE), each with
// what it does to the arguments: nothing to return, or the exit status after
// a usage error.
using SetOption = std::optional<int> (*)(std::string_view value, ServerArgs* args);

struct ValueOption {
  std::string_view name;
  SetOption set;
};

std::optional<int> setNovaListen(std::string_view value, ServerArgs* args) {
  auto spec = parseListenAddress(value);
  if (!spec) return usageError(spec.status().message());
  args->novaListen = value;
  args->nova = *spec;
  return std::nullopt;
}

std::optional<int> setSocketMode(std::string_view value, ServerArgs* args) {
  unsigned mode = 0;
  if (!parseNumber(value, 8, &mode) || mode > 0777)
    return usageError("--socket-mode wants octal permissions such as 0660, not " +
                      std::string(value));
  args->socketMode = mode;
  return std::nullopt;
}

std::optional<int> setMaxConnections(std::string_view value, ServerArgs* args) {
  size_t n = 0;
  if (!parseNumber(value, 10, &n) || n == 0 || n > 1'000'000)
    return usageError("--max-connections wants a number from 1 to 1000000, not " +
                      std::string(value));
  args->maxConnections = n;
  return std::nullopt;
}

// A plain string option: stores its value in `args->*field`.
template <std::string ServerArgs::*field>
std::optional<int> setString(std::string_view value, ServerArgs* args) {
  args->*field = value;
  return std::nullopt;
}

constexpr ValueOption kValueOptions[] = {
    {"--socket", setString<&ServerArgs::socket>},
    {"--data", setString<&ServerArgs::data>},
    {"--socket-mode", setSocketMode},
    {"--max-connections", setMaxConnections},
    {"--log-file", setString<&ServerArgs::logFile>},
    {"--nova-listen", setNovaListen},
    {"--shared-secret", setString<&ServerArgs::sharedSecret>},
    {"--shared-secret-file", setString<&ServerArgs::sharedSecretFile>},
};

const ValueOption* findValueOption(std::string_view name) {
  for (const ValueOption& option : kValueOptions)
    if (option.name == name) return &option;
  return nullptr;
}

std::optional<int> check(ServerArgs* args) {
  if (args->data.empty()) return usageError("--data FILE is required");
  bool nova = !args->novaListen.empty();
  bool secretGiven = !args->sharedSecret.empty() || !args->sharedSecretFile.empty();
  if (!args->sharedSecret.empty() && !args->sharedSecretFile.empty())
    return usageError("give --shared-secret or --shared-secret-file, not both");
  if (secretGiven && !nova)
    return usageError("--shared-secret and --shared-secret-file need --nova-listen HOST:PORT");
  if (nova && !secretGiven)
    return usageError(
        "--nova-listen needs the agent's metadata_proxy_shared_secret: --shared-secret-file "
        "PATH or --shared-secret SECRET");
  if (args->socket.empty() && !nova && !args->check)
    return usageError("--socket PATH or --nova-listen HOST:PORT is required");
  if (!args->sharedSecretFile.empty()) {
    auto secret = readSecretFile(args->sharedSecretFile);
    if (!secret) return usageError(secret.status().message());
    args->sharedSecret = *secret;
  }
  return std::nullopt;
}

}  // namespace

Result<net::ListenSpec> parseListenAddress(std::string_view text) {
  auto fail = [&](const std::string& why) {
    return invalidArgument("--nova-listen " + std::string(text) + ": " + why);
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return fail("want HOST:PORT, e.g. 127.0.0.1:8775 or [::1]:8775");
  std::string_view host = text.substr(0, colon);
  std::string_view portText = text.substr(colon + 1);
  std::optional<uint64_t> port = parseDecimal(portText);
  if (!port || *port > 65535) return fail("the port must be a number from 0 to 65535");
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  std::optional<net::IpAddress> ip = net::parseIp(host);
  if (bracketed) {
    if (!ip || !ip->v6()) return fail("not an IPv6 address between the brackets");
  } else if (!ip || ip->v6()) {
    if (ip) return fail("write an IPv6 address in brackets, e.g. [::1]:8775");
    return fail("HOST must be an IPv4 address or a bracketed IPv6 address (no names)");
  }
  net::ListenSpec spec;
  spec.host = std::string(host);
  spec.port = static_cast<uint16_t>(*port);
  return spec;
}

std::optional<int> parseServerArgs(int argc, char** argv, ServerArgs* args) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto [name, inlineValue] = splitOption(arg);
    if (name == "--help" || name == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (name == "--debug" || name == "--check") {
      if (inlineValue) return usageError(std::string(name) + " takes no value");
      (name == "--debug" ? args->debug : args->check) = true;
      continue;
    }
    const ValueOption* option = findValueOption(name);
    if (!option) return usageError("unknown option " + std::string(arg));
    std::optional<std::string_view> v = inlineValue;
    if (!v && i + 1 < argc) v = std::string_view(argv[++i]);
    if (!v || v->empty()) return usageError(std::string(name) + " needs a value");
    if (auto exit = option->set(*v, args)) return exit;
  }
  return check(args);
}

}  // namespace nsmp::metadata
