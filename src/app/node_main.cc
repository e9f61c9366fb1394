#include "app/node_main.h"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "app/node_protocol.h"
#include "app/run.h"
#include "base/log.h"
#include "daemon/daemonize.h"
#include "daemon/fd_limit.h"
#include "daemon/pidfile.h"
#include "daemon/privileges.h"
#include "event/loop.h"
#include "metrics/endpoint.h"
#include "net/socket.h"
#include "node/control.h"
#include "node/helper.h"
#include "node/node.h"
#include "node/opener.h"
#include "proxy/worker.h"

namespace nsmp::app {
namespace {

constexpr std::string_view kUsage =
    "usage: ns-metadata-proxy node [--control PATH] [--user USER] [--group GROUP]\n"
    "                              [--nodaemonize] [--pid_file PATH] [--log-file PATH] [--debug]\n"
    "                              [--metrics-listen ADDR:PORT]\n"
    "\n"
    "Serves the metadata proxies of many networks and routers in one process.\n"
    "Listeners are added and removed at runtime with `ns-metadata-proxy ctl`\n"
    "(docs/node.md).\n"
    "\n"
    "  --control PATH    control socket, mode 0600 (default /run/ns-metadata-proxy.sock)\n"
    "  --user USER --group GROUP\n"
    "                    serve as this user and group (names or numbers, both needed);\n"
    "                    a helper that stays root opens the sockets in other namespaces\n"
    "  --nodaemonize     stay in the foreground (default: run in the background)\n"
    "  --pid_file PATH   write the pid here and hold it locked while running\n"
    "  --log-file PATH   log to this file instead of stderr\n"
    "  --metrics-listen ADDR:PORT\n"
    "                    also serve GET /metrics and /healthz on this TCP address\n"
    "                    (the node's namespace), e.g. 127.0.0.1:9101; `ctl metrics`\n"
    "                    and `ctl health` answer on the control socket in any case\n"
    "  --debug           log debug messages too\n"
    "  --help            this text\n";

struct NodeOptions {
  std::string control = kDefaultControlPath;
  daemon::ProcessConfig process;
  std::optional<net::ListenSpec> metrics_listen;
  bool help = false;  // --help: print the usage and do not run
};

// "127.0.0.1:9101" or "[::1]:9101"; net::listenTcp() checks the address itself.
std::optional<net::ListenSpec> parseHostPort(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size() || text.size() - colon > 6) {
    return std::nullopt;
  }
  net::ListenSpec spec;
  spec.host = text.substr(0, colon);
  if (spec.host.size() >= 2 && spec.host.front() == '[' && spec.host.back() == ']') {
    spec.host = spec.host.substr(1, spec.host.size() - 2);
  } else if (spec.host.empty() || spec.host.find(':') != std::string::npos) {
    return std::nullopt;  // an IPv6 address goes in brackets
  }
  unsigned long port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned long>(c - '0');
  }
  if (port > 65535) return std::nullopt;
  spec.port = static_cast<uint16_t>(port);
  spec.backlog = 64;
  return spec;
}

int usage(const std::string& why) {
  std::fprintf(stderr, "ns-metadata-proxy node: %s (see --help)\n", why.c_str());
  return 2;
}

// Stores one option's value ("" for an option without one), or says why the
// value is wrong.
using NodeOptionFn = Status (*)(NodeOptions& o, const std::string& value);

struct NodeOption {
  std::string_view name;  // '-' and '_' are interchangeable
  bool takes_value;
  NodeOptionFn apply;
};

constexpr NodeOption kNodeOptions[] = {
    {"--help", false,
     [](NodeOptions& o, const std::string&) -> Status {
       o.help = true;
       return {};
     }},
    {"-h", false,
     [](NodeOptions& o, const std::string&) -> Status {
       o.help = true;
       return {};
     }},
    {"--control", true,
     [](NodeOptions& o, const std::string& v) -> Status {
       o.control = v;
       return {};
     }},
    {"--pid_file", true,
     [](NodeOptions& o, const std::string& v) -> Status {
       o.process.pid_file = v;
       return {};
     }},
    {"--log_file", true,
     [](NodeOptions& o, const std::string& v) -> Status {
       o.process.log_target = daemon::LogTarget::kFile;
       o.process.log_file = v;
       return {};
     }},
    {"--user", true,
     [](NodeOptions& o, const std::string& v) -> Status {
       o.process.user = v;
       return {};
     }},
    {"--group", true,
     [](NodeOptions& o, const std::string& v) -> Status {
       o.process.group = v;
       return {};
     }},
    {"--metrics_listen", true,
     [](NodeOptions& o, const std::string& v) -> Status {
       o.metrics_listen = parseHostPort(v);
       if (!o.metrics_listen) {
         return invalidArgument("want ADDR:PORT, e.g. 127.0.0.1:9101 or [::1]:9101");
       }
       return {};
     }},
    {"--nodaemonize", false,
     [](NodeOptions& o, const std::string&) -> Status {
       o.process.daemonize = false;
       return {};
     }},
    {"--daemonize", false,
     [](NodeOptions& o, const std::string&) -> Status {
       o.process.daemonize = true;
       return {};
     }},
    {"--debug", false,
     [](NodeOptions& o, const std::string&) -> Status {
       o.process.debug = true;
       return {};
     }},
};

std::string dashesToUnderscores(std::string_view name) {
  std::string key(name);
  for (char& c : key) c = c == '-' ? '_' : c;
  return key;
}

const NodeOption* findNodeOption(std::string_view name) {
  std::string key = dashesToUnderscores(name);
  for (const NodeOption& option : kNodeOptions) {
    if (dashesToUnderscores(option.name) == key) return &option;
  }
  return nullptr;
}

// Checks the options together and makes their paths absolute; returns an
// exit code when the node should not run.
std::optional<int> finishNodeOptions(NodeOptions* o) {
  if (o->process.user.empty() != o->process.group.empty()) {
    return usage("--user and --group go together (the node must not keep root's group)");
  }
  for (std::string* path : {&o->control, &o->process.pid_file, &o->process.log_file}) {
    if (!path->empty() && path->front() != '/') {
      // The daemon changes to "/": keep relative paths meaning what they meant.
      char cwd[4096];
      if (::getcwd(cwd, sizeof cwd)) *path = std::string(cwd) + "/" + *path;
    }
  }
  return std::nullopt;
}

// Returns an exit code when the node should not run (help, usage error).
std::optional<int> parseNodeOptions(const std::vector<std::string>& args, NodeOptions* o) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (size_t eq = name.find('='); name.starts_with("--") && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    // Messages name the option as given (without "=value"), whichever way
    // its value came.
    const NodeOption* option = findNodeOption(name);
    if (!option) return usage(fmt::format("unknown option '{}'", name));
    if (option->takes_value && !value && i + 1 < args.size()) value = args[++i];
    if (!option->takes_value && value) return usage(name + " takes no value");
    if (option->takes_value && (!value || value->empty())) return usage(name + " needs a value");
    std::string v = value.value_or("");
    if (Status s = option->apply(*o, v); !s) {
      return usage(fmt::format("{} {}: {}", name, v, s.message()));
    }
    if (o->help) {
      std::fputs(kUsage.data(), stdout);
      return 0;
    }
  }
  return finishNodeOptions(o);
}

}  // namespace

int nodeMain(int argc, char** argv) {
  NodeOptions options;
  if (auto code = parseNodeOptions({argv + 1, argv + argc}, &options)) return *code;
  const daemon::ProcessConfig& process = options.process;
  ProcessStart start(process);
  if (auto code = start.begin()) return *code;
  daemon::Daemonizer& daemonizer = start.daemonizer();
  auto fail = [&daemonizer](const std::string& msg) { return failStartup(daemonizer, msg); };
  // Every listener's sockets and connections share this one process.
  uint64_t fd_limit = daemon::raiseFdLimit(UINT64_MAX);
  // A root helper opens every listener's sockets in other namespaces, so
  // this process never enters one (and never waits for one); with --user it
  // also gives up root. Forked first: it keeps nothing but its channel.
  bool separate = !process.user.empty() || !process.group.empty();
  auto helper = node::forkHelper();
  if (!helper) return fail(helper.status().message());
  event::Loop loop;
  if (Status s = loop.init(); !s) return fail(s.message());
  auto opener = node::helperOpener(loop, std::move(*helper));
  if (!opener) return fail(opener.status().message());
  proxy::Worker worker(loop);
  node::Node node(worker, std::move(*opener));
  auto control = node::ControlServer::open(
      loop, options.control,
      [&node](std::string_view line, const node::ControlReply& reply) {
        handleControlLine(node, line,
                          [reply](std::string answer) { reply.send(std::move(answer)); });
      },
      controlLineTooLongReply());
  if (!control) return fail(control.status().message());
  // In the node's own (host) namespace, and only when asked: never where a VM is.
  metrics::Endpoint metrics(loop, worker);
  if (options.metrics_listen) {
    Result<net::Fd> fd = net::listenTcp(*options.metrics_listen);
    if (fd) {
      if (Status s = metrics.add(std::move(*fd)); !s) fd = s;
    }
    if (!fd) return fail("--metrics-listen: " + fd.status().message());
  }
  if (separate) {
    if (auto s = daemon::dropPrivileges(start.credentials()); !s) return fail(s.message());
  }
  return serve(
      loop, worker, start,
      fmt::format("ns-metadata-proxy node: control socket {}; open-file limit {}{}{}",
                  options.control, fd_limit, options.metrics_listen ? "; metrics on http://" : "",
                  metrics.describe()));
}

}  // namespace nsmp::app
