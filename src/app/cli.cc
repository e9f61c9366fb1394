#include "app/cli.h"

#include <cstdio>

#include <fmt/format.h>

#include "app/cli_options.h"
#include "app/cli_values.h"
#include "base/log.h"
#include "base/version.h"

namespace nsmp::app {
namespace {

using cli::OptionSpec;
using cli::ParseState;

constexpr std::string_view kProgram = "ns-metadata-proxy";

std::string normalize(std::string_view name) {
  std::string key(name);
  for (char& c : key) {
    if (c == '-') c = '_';
  }
  return key;
}

const OptionSpec* findOption(std::string_view key) {
  for (const OptionSpec& spec : cli::optionTable()) {
    if (normalize(spec.name) == key) return &spec;
  }
  return nullptr;
}

std::string usageText() {
  std::string text = fmt::format(
      "usage: {0} --network_id ID | --router_id ID [options]\n"
      "\n"
      "Serves the OpenStack metadata of one network or router: HTTP requests from\n"
      "instances are passed to the metadata agent's UNIX socket with the identity\n"
      "header set by the proxy.\n"
      "\n"
      "options:\n",
      kProgram);
  for (const OptionSpec& spec : cli::optionTable()) {
    bool negatable = spec.flag && spec.name != "help" && spec.name != "version";
    if (negatable) {
      text += fmt::format("  --{0}, --no{0}\n", spec.name);
    } else if (spec.flag) {
      text += fmt::format("  --{}\n", spec.name);
    } else {
      text += fmt::format("  --{} {}\n", spec.name, spec.metavar);
    }
    text += fmt::format("      {}\n", spec.help);
  }
  text +=
      "\n"
      "Every option may be written --name VALUE or --name=VALUE, with underscores\n"
      "or dashes. Timeouts are seconds and may have decimals (0.5).\n"
      "\n"
      "One process for every namespace of a node: `ns-metadata-proxy node --help`,\n"
      "`ns-metadata-proxy ctl --help`.\n";
  return text;
}

Status usageError(std::string message) { return invalidArgument(std::move(message)); }

// The proxied network or router, which also names the listener.
Status settleIdentity(ParseState& s) {
  Options& o = s.options;
  if (!s.network_id && !s.router_id) return usageError("--network_id or --router_id is required");
  if (s.network_id && s.router_id) {
    log::warning(
        "both --network_id {} and --router_id {} given; proxying for the network only "
        "(X-Neutron-Network-ID), as Neutron does",
        *s.network_id, *s.router_id);
  }
  o.listener.identity.kind =
      s.network_id ? proxy::IdentityKind::kNetwork : proxy::IdentityKind::kRouter;
  o.listener.identity.value = s.network_id ? *s.network_id : *s.router_id;
  o.listener.uuid = o.listener.identity.value;
  return {};
}

// The listening address, with the interface from --bind_interface or from
// the zone of --bind_host (which must agree).
Status settleBind(ParseState& s) {
  std::string interface = s.bind_interface;
  if (!s.bind_zone.empty()) {
    if (auto zone = cli::parseInterface(s.bind_zone); !zone) {
      return usageError("--bind_host: zone " + zone.status().message());
    }
    if (!interface.empty() && interface != s.bind_zone) {
      return usageError(
          fmt::format("--bind_host says interface '{}' but --bind_interface says '{}'", s.bind_zone,
                      interface));
    }
    interface = s.bind_zone;
  }
  if (interface.empty() && cli::isIpv6LinkLocal(s.bind_host)) {
    return usageError(fmt::format(
        "--bind_host: link-local address {} needs --bind_interface IF (the interface it is on)",
        s.bind_host));
  }
  s.options.listener.binds = {proxy::BindAddress{s.bind_host, s.port, interface}};
  return {};
}

// state_path without trailing slashes, and the agent's socket under it
// unless --metadata_proxy_socket names one.
void settleStatePath(ParseState& s) {
  Options& o = s.options;
  std::string state = o.process.state_path;
  while (state.size() > 1 && state.back() == '/') state.pop_back();
  o.process.state_path = state;
  o.listener.upstream_socket =
      s.upstream_socket ? *s.upstream_socket : (state == "/" ? "" : state) + "/metadata_proxy";
}

// Where the log goes (--log-file and --log-dir, or --use-syslog) and the
// syslog tag.
Status settleLogging(ParseState& s) {
  Options& o = s.options;
  // oslo.log: --log-file relative to --log-dir; --log-dir alone names a file.
  std::string log_file = s.log_file;
  if (!s.log_dir.empty()) {
    if (log_file.empty()) log_file = fmt::format("{}-{}.log", kProgram, o.listener.uuid);
    if (log_file.front() != '/') log_file = s.log_dir + "/" + log_file;
  }
  if (!log_file.empty()) {
    auto absolute = cli::parsePath(log_file);
    if (!absolute) return absolute.status().withContext("--log-file");
    o.process.log_target = daemon::LogTarget::kFile;
    o.process.log_file = *absolute;
  } else if (s.use_syslog) {
    o.process.log_target = daemon::LogTarget::kSyslog;
  }
  o.process.log_tag = fmt::format("{}-{}", kProgram, o.listener.uuid);
  return {};
}

// Settles what depends on several options and checks their combinations.
Status finish(ParseState& s) {
  if (Status st = settleIdentity(s); !st) return st;
  if (Status st = settleBind(s); !st) return st;
  settleStatePath(s);
  if (Status st = settleLogging(s); !st) return st;
  if (!s.options.process.metrics_socket.empty() && s.options.engine == Engine::kHaproxy) {
    return invalidArgument("--metrics_socket needs the native engine (drop --engine haproxy)");
  }
  return {};
}

// One "--name" or "--name=value" argument, split.
struct Argument {
  std::string shown;  // "--name" as written, for messages
  std::string key;    // the name with '-' as '_'
  std::optional<std::string_view> inline_value;
};

Result<Argument> splitArgument(std::string_view arg) {
  if (arg == "-h") arg = "--help";
  if (!arg.starts_with("--") || arg == "--") {
    return usageError(fmt::format("unexpected argument '{}' (see --help)", arg));
  }
  size_t eq = arg.find('=');
  std::string_view name = arg.substr(2, eq == std::string_view::npos ? arg.npos : eq - 2);
  Argument out{fmt::format("--{}", name), normalize(name), std::nullopt};
  if (eq != std::string_view::npos) out.inline_value = arg.substr(eq + 1);
  return out;
}

// The option an argument names; "--noNAME" negates the flag NAME.
struct Match {
  const OptionSpec* spec;
  bool negated;
};

Result<Match> findArgument(const Argument& a, bool listener_only) {
  const OptionSpec* spec = findOption(a.key);
  bool negated = false;
  if (!spec && a.key.starts_with("no")) {
    spec = findOption(a.key.substr(2));
    negated = spec && spec->flag;
    if (!negated) spec = nullptr;
  }
  if (!spec) return usageError(fmt::format("unknown option '{}' (see --help)", a.shown));
  if (listener_only && cli::isProcessOption(spec->name)) {
    return usageError(fmt::format("{} is a process option (give it to node)", a.shown));
  }
  return Match{spec, negated};
}

// A flag, with its optional "=true|false" value.
Status applyFlag(ParseState& state, const Argument& a, const Match& m) {
  bool on = !m.negated;
  if (a.inline_value) {
    if (m.negated) return usageError(fmt::format("{} takes no value", a.shown));
    auto parsed = cli::parseBool(*a.inline_value);
    if (!parsed) return parsed.status().withContext(a.shown);
    on = *parsed;
  }
  m.spec->flag(state, on);
  return {};
}

// An option's value: inline, or the next argument (advancing *i).
Result<std::string_view> optionValue(const std::vector<std::string>& args, size_t* i,
                                     const Argument& a, const OptionSpec& spec) {
  if (a.inline_value) return *a.inline_value;
  // A following "--x" is almost surely the next option, not a value:
  // "--network_id --router_id R" means the id was forgotten.
  if (*i + 1 >= args.size() || std::string_view(args[*i + 1]).starts_with("--")) {
    return usageError(fmt::format("{} needs a value ({} {})", a.shown, a.shown, spec.metavar));
  }
  return std::string_view(args[++*i]);
}

// Reads args[*i] (and its value, advancing *i) into `state`.
Status applyArgument(const std::vector<std::string>& args, size_t* i, bool listener_only,
                     ParseState& state) {
  auto a = splitArgument(args[*i]);
  if (!a) return a.status();
  auto match = findArgument(*a, listener_only);
  if (!match) return match.status();
  if (match->spec->flag) return applyFlag(state, *a, *match);
  auto value = optionValue(args, i, *a, *match->spec);
  if (!value) return value.status();
  if (Status s = match->spec->value(state, *value); !s) return s.withContext(a->shown);
  return {};
}

Result<Command> parse(const std::vector<std::string>& args, bool listener_only) {
  ParseState state;
  for (size_t i = 0; i < args.size(); ++i) {
    if (Status s = applyArgument(args, &i, listener_only, state); !s) return s;
    if (state.help || state.version) {
      // The options parsed so far go along, unused: a Command built from
      // empty ones made g++ 12 at -O3 warn (falsely) of uninitialised strings.
      std::string print = state.help ? usageText()
                                     : fmt::format("{} {} (commit {})\n", kProgram,
                                                   projectVersion(), buildCommit());
      return Command{std::move(state.options), std::move(print)};
    }
  }
  if (Status s = finish(state); !s) return s;
  return Command{std::move(state.options), ""};
}

}  // namespace

Result<Command> parseArguments(const std::vector<std::string>& args) { return parse(args, false); }

Result<Command> parseListenerArguments(const std::vector<std::string>& args) {
  return parse(args, true);
}

std::optional<int> parseCommandLine(int argc, char** argv, Options* out) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  Result<Command> command = parseArguments(args);
  if (!command) {
    std::fprintf(stderr, "%s: %s\n", std::string(kProgram).c_str(),
                 command.status().message().c_str());
    std::fflush(stderr);
    return 2;
  }
  if (!command->print.empty()) {
    std::fputs(command->print.c_str(), stdout);
    std::fflush(stdout);
    return 0;
  }
  *out = std::move(command->options);
  return std::nullopt;
}

}  // namespace nsmp::app
