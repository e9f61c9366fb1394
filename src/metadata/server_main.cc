#include "metadata/server_main.h"

#include <signal.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "base/log.h"
#include "event/loop.h"
#include "event/signals.h"
#include "metadata/server.h"
#include "metadata/service.h"
#include "metadata/watcher.h"

namespace nsmp::metadata {
namespace {

constexpr const char* kUsage =
    "usage: ns-metadata-proxy metadata-server --socket PATH --data FILE [options]\n"
    "\n"
    "Plays Neutron's metadata agent and Nova's metadata API for labs, demos and\n"
    "tests: answers the proxy's requests on a UNIX socket from a JSON data file\n"
    "(format: examples/README.md), which is reloaded when it changes.\n"
    "\n"
    "  --socket PATH          UNIX socket to listen on (the proxy's --metadata_proxy_socket)\n"
    "  --data FILE            instances and routers (JSON)\n"
    "  --socket-mode MODE     octal permissions of the socket, e.g. 0666 (default: umask)\n"
    "  --max-connections N    open connections at most (default 1024)\n"
    "  --log-file PATH        log there instead of stderr (reopened on SIGHUP)\n"
    "  --debug                debug logging\n"
    "  --check                validate the data file and exit (0: valid)\n"
    "  --help                 this text\n";

// SIGTERM leaves this long for requests in flight (Neutron escalates to
// SIGKILL after 5 s).
constexpr event::Millis kShutdownGrace{4000};

struct Args {
  std::string socket;
  std::string data;
  std::optional<unsigned> socketMode;
  size_t maxConnections = 1024;
  std::string logFile;
  bool debug = false;
  bool check = false;
};

int usageError(const std::string& message) {
  std::fprintf(stderr, "ns-metadata-proxy metadata-server: %s (see --help)\n", message.c_str());
  return 2;
}

template <typename T>
bool parseNumber(std::string_view text, int base, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out, base);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// Returns an exit status when the process should stop now.
std::optional<int> parseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view name = arg;
    std::optional<std::string_view> inlineValue;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      inlineValue = arg.substr(eq + 1);
    }
    auto value = [&]() -> std::optional<std::string_view> {
      if (inlineValue) return inlineValue;
      if (i + 1 < argc) return std::string_view(argv[++i]);
      return std::nullopt;
    };
    if (name == "--help" || name == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (name == "--debug" || name == "--check") {
      if (inlineValue) return usageError(std::string(name) + " takes no value");
      (name == "--debug" ? args->debug : args->check) = true;
      continue;
    }
    if (name != "--socket" && name != "--data" && name != "--socket-mode" &&
        name != "--max-connections" && name != "--log-file")
      return usageError("unknown option " + std::string(arg));
    auto v = value();
    if (!v || v->empty()) return usageError(std::string(name) + " needs a value");
    if (name == "--socket") {
      args->socket = *v;
    } else if (name == "--data") {
      args->data = *v;
    } else if (name == "--log-file") {
      args->logFile = *v;
    } else if (name == "--socket-mode") {
      unsigned mode = 0;
      if (!parseNumber(*v, 8, &mode) || mode > 0777)
        return usageError("--socket-mode wants octal permissions such as 0660, not " +
                          std::string(*v));
      args->socketMode = mode;
    } else {
      size_t n = 0;
      if (!parseNumber(*v, 10, &n) || n == 0 || n > 1'000'000)
        return usageError("--max-connections wants a number from 1 to 1000000, not " +
                          std::string(*v));
      args->maxConnections = n;
    }
  }
  if (args->data.empty()) return usageError("--data FILE is required");
  if (args->socket.empty() && !args->check) return usageError("--socket PATH is required");
  return std::nullopt;
}

}  // namespace

int metadataServerMain(int argc, char** argv) {
  Args args;
  if (auto code = parseArgs(argc, argv, &args)) return *code;
  log::setDebug(args.debug);

  DataFileWatcher watcher(args.data);
  LoadResult initial = watcher.load();
  if (!initial.ok()) {
    std::fprintf(stderr, "ns-metadata-proxy metadata-server: %s\n", initial.error.c_str());
    return 1;
  }
  if (args.check) {
    std::printf("%s: %zu instances, %zu routers\n", args.data.c_str(),
                initial.data->instances.size(), initial.data->routers.size());
    return 0;
  }
  if (!args.logFile.empty()) {
    std::string error;
    if (!log::useFile(args.logFile, &error)) {
      std::fprintf(stderr, "ns-metadata-proxy metadata-server: %s\n", error.c_str());
      return 1;
    }
  }

  MetadataService service(initial.data);
  event::Loop loop;
  if (Status s = loop.init(); !s) {
    log::error("metadata server: {}", s.message());
    log::flush();
    return 1;
  }
  ServerConfig config;
  config.socketPath = args.socket;
  config.socketMode = args.socketMode;
  config.maxConnections = args.maxConnections;
  Server server(loop, service, &watcher, config);
  if (Status s = server.start(); !s) {
    log::error("metadata server: cannot listen on {}: {}", args.socket, s.message());
    log::flush();
    return 1;
  }
  event::Signals signals(loop);
  Status watched = signals.watch({SIGTERM, SIGINT, SIGHUP}, [&](int signo) {
    if (signo == SIGHUP) {
      log::reopen();
      log::info("metadata server: log reopened");
      return;
    }
    log::info("metadata server: signal {}: finishing requests in flight, then exiting", signo);
    server.beginShutdown(kShutdownGrace);
  });
  if (!watched) {
    log::error("metadata server: {}", watched.message());
    log::flush();
    return 1;
  }
  loop.addTurnHook([] { log::flush(); });
  log::info("metadata server listening on {} with {} instances and {} routers from {}", args.socket,
            initial.data->instances.size(), initial.data->routers.size(), args.data);
  log::flush();
  loop.run();
  log::info("metadata server: exiting");
  log::flush();
  return 0;
}

}  // namespace nsmp::metadata
