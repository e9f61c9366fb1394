// ns-metadata-proxy: picks the mode from the command line and hands over.
//   ns-metadata-proxy --network_id ID ...      Neutron's command line (native engine,
//                                              or --engine haproxy)
//   ns-metadata-proxy -f FILE / haproxy -f ... haproxy's command line and config
//   ns-metadata-proxy metadata-server ...      the built-in metadata server
//   ns-metadata-proxy cleanup ...              remove a written haproxy config
//   ns-metadata-proxy node ... / ctl ...       one process for every namespace
//                                              of a node, and its client
#include <cstring>

#include "app/cli.h"
#include "app/node_main.h"
#include "app/run.h"
#include "haproxy/compat_args.h"
#include "haproxy/launcher.h"
#include "metadata/server_main.h"

int main(int argc, char** argv) {
  using namespace nsmp;
  if (argc >= 2 && std::strcmp(argv[1], "node") == 0) return app::nodeMain(argc - 1, argv + 1);
  if (argc >= 2 && std::strcmp(argv[1], "ctl") == 0) return app::ctlMain(argc - 1, argv + 1);
  if (argc >= 2 && std::strcmp(argv[1], "cleanup") == 0) {
    return haproxy::runCleanup(argc - 1, argv + 1);
  }
  if (argc >= 2 && std::strcmp(argv[1], "metadata-server") == 0) {
    return metadata::metadataServerMain(argc - 1, argv + 1);
  }
  if (haproxy::wantsHaproxyMode(argc, argv)) {
    daemon::ProcessConfig process;
    proxy::ListenerConfig listener;
    if (auto code = haproxy::parseHaproxyArgs(argc, argv, &process, &listener)) return *code;
    return app::runNative(process, listener);
  }
  app::Options options;
  if (auto code = app::parseCommandLine(argc, argv, &options)) return *code;
  if (options.engine == app::Engine::kHaproxy) {
    return haproxy::runHaproxyEngine(options.process, options.listener);
  }
  return app::runNative(options.process, options.listener);
}
