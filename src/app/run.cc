#include "app/run.h"

#include <signal.h>

#include <cstdio>
#include <optional>

#include "base/log.h"
#include "daemon/daemonize.h"
#include "daemon/fd_limit.h"
#include "daemon/pidfile.h"
#include "daemon/privileges.h"
#include "event/loop.h"
#include "event/signals.h"
#include "proxy/listen_sockets.h"
#include "proxy/worker.h"

namespace nsmp::app {
namespace {

// In-flight requests get this long after SIGTERM. Neutron escalates to
// SIGKILL 5 s after SIGTERM, so finish well before that.
constexpr proxy::Millis kShutdownGrace{4000};

}  // namespace

bool setUpLogging(const daemon::ProcessConfig& process) {
  log::setDebug(process.debug);
  if (process.log_target == daemon::LogTarget::kFile) {
    std::string error;
    if (!log::useFile(process.log_file, &error)) {
      std::fprintf(stderr, "ns-metadata-proxy: %s\n", error.c_str());
      return false;
    }
  } else if (process.log_target == daemon::LogTarget::kSyslog) {
    log::useSyslog(process.log_tag.empty() ? "ns-metadata-proxy" : process.log_tag);
  }
  return true;
}

Status watchProcessSignals(event::Signals& signals, proxy::Worker& worker) {
  return signals.watch({SIGTERM, SIGINT, SIGHUP, SIGUSR1}, [&worker](int signo) {
    if (signo == SIGHUP) {
      log::reopen();
      log::info("log reopened");
    } else if (signo == SIGUSR1) {
      worker.logCounters();
    } else {
      log::info("signal {}: finishing in-flight requests, then exiting", signo);
      worker.beginShutdown(kShutdownGrace);
    }
  });
}

int runNative(const daemon::ProcessConfig& process, const proxy::ListenerConfig& config) {
  if (!setUpLogging(process)) return 1;
  auto fail = [](daemon::Daemonizer& d, const std::string& msg) {
    log::error("{}", msg);
    log::flush();
    if (d.enabled()) d.fail(msg);
    return 1;
  };

  // Unknown users are refused before anything is bound or forked.
  auto creds = daemon::resolveCredentials(process.user, process.group);
  if (!creds) {
    log::error("{}", creds.error());
    log::flush();
    if (process.log_target != daemon::LogTarget::kStderr) {
      std::fprintf(stderr, "ns-metadata-proxy: %s\n", creds.error().c_str());
    }
    return 1;
  }
  daemon::Daemonizer daemonizer(process.daemonize);
  if (auto s = daemonizer.start(); !s) {
    std::fprintf(stderr, "ns-metadata-proxy: %s\n", s.error().c_str());
    return 1;
  }
  std::optional<daemon::Pidfile> pidfile;
  if (!process.pid_file.empty()) {
    auto p = daemon::Pidfile::acquire(process.pid_file);
    if (!p) return fail(daemonizer, p.error());
    pidfile.emplace(std::move(*p));
  }
  if (uint64_t limit = daemon::raiseFdLimit(daemon::fdsFor(config.maxconn));
      limit < daemon::fdsFor(config.maxconn)) {
    log::warning("open-file limit {} is below the {} that maxconn {} may need", limit,
                 daemon::fdsFor(config.maxconn), config.maxconn);
  }
  std::vector<net::Fd> sockets;
  std::string bind_error;
  if (!proxy::openListeningSockets(config, "", &sockets, &bind_error)) {
    return fail(daemonizer, bind_error);
  }
  if (auto s = daemon::dropPrivileges(*creds); !s) return fail(daemonizer, s.error());

  event::Loop loop;
  if (Status s = loop.init(); !s) return fail(daemonizer, s.message());
  proxy::Worker worker(loop);
  Result<proxy::Listener*> listener = worker.addListener(config, std::move(sockets));
  if (!listener) return fail(daemonizer, listener.status().message());
  event::Signals signals(loop);
  if (Status watched = watchProcessSignals(signals, worker); !watched) {
    return fail(daemonizer, watched.message());
  }
  loop.addTurnHook([] { log::flush(); });

  const char* who = config.identity.kind == proxy::IdentityKind::kRouter ? "router" : "network";
  log::info("ns-metadata-proxy for {} {} listening on {} -> {}", who, config.identity.value,
            (*listener)->describe(), config.upstream_socket);
  log::flush();
  daemonizer.ready();
  loop.run();
  worker.logCounters();
  log::info("exiting");
  log::flush();
  return 0;
}

}  // namespace nsmp::app
