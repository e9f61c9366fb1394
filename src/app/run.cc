#include "app/run.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "base/log.h"
#include "daemon/daemonize.h"
#include "daemon/pidfile.h"
#include "daemon/privileges.h"
#include "event/loop.h"
#include "event/signals.h"
#include "net/socket.h"
#include "proxy/worker.h"

namespace nsmp::app {
namespace {

// In-flight requests get this long after SIGTERM. Neutron escalates to
// SIGKILL 5 s after SIGTERM, so finish well before that.
constexpr proxy::Millis kShutdownGrace{4000};

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

std::string bindName(const proxy::BindAddress& b) {
  std::string host = b.host.find(':') != std::string::npos ? "[" + b.host + "]" : b.host;
  std::string s = host + ":" + std::to_string(b.port);
  if (!b.interface.empty()) s += " on " + b.interface;
  return s;
}

// "::" serves IPv4 too (haproxy's behaviour, which Neutron's IPv6-enabled
// routers rely on) unless the same listener also binds IPv4's wildcard there.
bool dualStack(const proxy::BindAddress& b, const std::vector<proxy::BindAddress>& all) {
  if (b.host != "::" && b.host != "[::]") return false;
  for (const proxy::BindAddress& other : all) {
    if (other.host == "0.0.0.0" && other.port == b.port) return false;
  }
  return true;
}

}  // namespace

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
  std::vector<net::Fd> sockets;
  for (const proxy::BindAddress& b : config.binds) {
    int backlog = static_cast<int>(std::max<uint32_t>(config.maxconn, 128));
    Result<net::Fd> fd =
        net::listenTcp({b.host, b.port, b.interface, backlog, !dualStack(b, config.binds)});
    if (!fd)
      return fail(daemonizer, "cannot listen on " + bindName(b) + ": " + fd.status().message());
    sockets.push_back(std::move(*fd));
  }
  if (auto s = daemon::dropPrivileges(*creds); !s) return fail(daemonizer, s.error());

  event::Loop loop;
  if (Status s = loop.init(); !s) return fail(daemonizer, s.message());
  proxy::Worker worker(loop);
  Result<proxy::Listener*> listener = worker.addListener(config, std::move(sockets));
  if (!listener) return fail(daemonizer, listener.status().message());
  event::Signals signals(loop);
  Status watched = signals.watch({SIGTERM, SIGINT, SIGHUP, SIGUSR1}, [&](int signo) {
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
  if (!watched) return fail(daemonizer, watched.message());
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
