#include "metadata/server_main.h"

#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/log.h"
#include "event/loop.h"
#include "event/signals.h"
#include "metadata/server.h"
#include "metadata/server_args.h"
#include "metadata/service.h"
#include "metadata/watcher.h"

namespace nsmp::metadata {
namespace {

// SIGTERM leaves this long for requests in flight (Neutron escalates to
// SIGKILL after 5 s).
constexpr event::Millis kShutdownGrace{4000};

// Both fronts share the loop, the service (so one data snapshot and the
// posted passwords) and the watcher, which the first server polls.
std::vector<std::unique_ptr<Server>> makeServers(event::Loop& loop, MetadataService& service,
                                                 DataFileWatcher& watcher, const ServerArgs& args) {
  std::vector<std::unique_ptr<Server>> servers;
  DataFileWatcher* poller = &watcher;
  if (!args.socket.empty()) {
    ServerConfig config;
    config.front = Front::kAgent;
    config.socketPath = args.socket;
    config.socketMode = args.socketMode;
    config.maxConnections = args.maxConnections;
    servers.push_back(std::make_unique<Server>(loop, service, poller, config));
    poller = nullptr;
  }
  if (!args.novaListen.empty()) {
    ServerConfig config;
    config.front = Front::kNova;
    config.tcp = args.nova;
    config.sharedSecret = args.sharedSecret;
    config.maxConnections = args.maxConnections;
    servers.push_back(std::make_unique<Server>(loop, service, poller, config));
  }
  return servers;
}

}  // namespace

int metadataServerMain(int argc, char** argv) {
  ServerArgs args;
  if (auto code = parseServerArgs(argc, argv, &args)) return *code;
  log::setDebug(args.debug);

  DataFileWatcher watcher(args.data);
  Result<DatasetPtr> initial = watcher.load();
  if (!initial.ok()) {
    std::fprintf(stderr, "ns-metadata-proxy metadata-server: %s\n",
                 initial.status().message().c_str());
    return 1;
  }
  if (args.check) {
    std::printf("%s: %zu instances, %zu routers\n", args.data.c_str(), (*initial)->instances.size(),
                (*initial)->routers.size());
    return 0;
  }
  if (!args.logFile.empty()) {
    if (Status s = log::useFile(args.logFile); !s) {
      std::fprintf(stderr, "ns-metadata-proxy metadata-server: %s\n", s.message().c_str());
      return 1;
    }
  }

  MetadataService service(*initial);
  event::Loop loop;
  if (Status s = loop.init(); !s) {
    log::error("metadata server: {}", s.message());
    log::flush();
    return 1;
  }
  std::vector<std::unique_ptr<Server>> servers = makeServers(loop, service, watcher, args);
  for (auto& server : servers) {
    if (Status s = server->start(); !s) {
      const ServerConfig& c = server->config();
      log::error("metadata server: cannot listen on {}: {}",
                 c.front == Front::kNova ? args.novaListen : c.socketPath, s.message());
      log::flush();
      return 1;
    }
  }
  // The loop stops when every server has finished its shutdown.
  size_t running = servers.size();
  for (auto& server : servers)
    server->setOnDrained([&] {
      if (--running == 0) loop.stop();
    });
  event::Signals signals(loop);
  Status watched = signals.watch({SIGTERM, SIGINT, SIGHUP}, [&](int signo) {
    if (signo == SIGHUP) {
      log::reopen();
      log::info("metadata server: log reopened");
      return;
    }
    log::info("metadata server: signal {}: finishing requests in flight, then exiting", signo);
    for (auto& server : servers) server->beginShutdown(kShutdownGrace);
  });
  if (!watched) {
    log::error("metadata server: {}", watched.message());
    log::flush();
    return 1;
  }
  loop.addTurnHook([] { log::flush(); });
  for (auto& server : servers) {
    bool nova = server->config().front == Front::kNova;
    log::info("metadata server listening on {}{} with {} instances and {} routers from {}",
              server->address(), nova ? " as Nova's metadata API" : "",
              (*initial)->instances.size(), (*initial)->routers.size(), args.data);
  }
  log::flush();
  loop.run();
  log::info("metadata server: exiting");
  log::flush();
  return 0;
}

}  // namespace nsmp::metadata
