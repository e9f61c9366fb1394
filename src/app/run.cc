#include "app/run.h"

#include <signal.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "base/log.h"
#include "daemon/daemonize.h"
#include "daemon/fd_limit.h"
#include "daemon/pidfile.h"
#include "daemon/privileges.h"
#include "daemon/syslog_facility.h"
#include "event/loop.h"
#include "event/signals.h"
#include "http/identity.h"
#include "metrics/endpoint.h"
#include "net/socket.h"
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
    if (Status s = log::useFile(process.log_file); !s) {
      std::fprintf(stderr, "ns-metadata-proxy: %s\n", s.message().c_str());
      return false;
    }
  } else if (process.log_target == daemon::LogTarget::kSyslog) {
    // The facility is checked when parsed (--syslog-log-facility, haproxy's
    // `log /dev/log <facility>`); none given: oslo.log's default, LOG_USER.
    int facility = daemon::syslogFacility(process.syslog_facility).value_or(LOG_USER);
    log::useSyslog(process.log_tag.empty() ? "ns-metadata-proxy" : process.log_tag, facility);
  }
  return true;
}

namespace {

Status watchProcessSignals(event::Signals& signals, proxy::Worker& worker,
                           const daemon::Notifier& notifier) {
  return signals.watch({SIGTERM, SIGINT, SIGHUP, SIGUSR1}, [&worker, &notifier](int signo) {
    if (signo == SIGHUP) {
      log::reopen();
      log::info("log reopened");
    } else if (signo == SIGUSR1) {
      worker.logCounters();
    } else {
      log::info("signal {}: finishing in-flight requests, then exiting", signo);
      notifier.stopping();
      worker.beginShutdown(kShutdownGrace);
    }
  });
}

}  // namespace

int failStartup(daemon::Daemonizer& daemonizer, const std::string& message) {
  log::error("{}", message);
  log::flush();
  if (daemonizer.enabled()) daemonizer.fail(message);
  return 1;
}

int serve(event::Loop& loop, proxy::Worker& worker, ProcessStart& start,
          const std::string& started) {
  daemon::Daemonizer& daemonizer = start.daemonizer();
  const daemon::Notifier& notifier = start.notifier();
  event::Signals signals(loop);
  if (Status watched = watchProcessSignals(signals, worker, notifier); !watched) {
    return failStartup(daemonizer, watched.message());
  }
  loop.addTurnHook([] { log::flush(); });
  log::info("{}", started);
  log::flush();
  // The manager first, then the launcher: with --daemonize the launcher
  // exits on ready(), and the manager must already have this process's
  // MAINPID= queued by then (systemd reads notifications before SIGCHLD).
  notifier.ready();
  daemon::WatchdogPinger watchdog(loop, notifier);
  watchdog.start();
  daemonizer.ready();
  loop.run();
  worker.logCounters();
  log::info("exiting");
  log::flush();
  return 0;
}

std::optional<int> ProcessStart::begin() {
  if (!setUpLogging(process_)) return 1;
  auto creds = daemon::resolveCredentials(process_.user, process_.group);
  if (!creds) {
    log::error("{}", creds.status().message());
    log::flush();
    if (process_.log_target != daemon::LogTarget::kStderr) {
      std::fprintf(stderr, "ns-metadata-proxy: %s\n", creds.status().message().c_str());
    }
    return 1;
  }
  credentials_ = *creds;
  if (auto s = daemonizer_.start(); !s) {
    std::fprintf(stderr, "ns-metadata-proxy: %s\n", s.message().c_str());
    return 1;
  }
  if (!process_.pid_file.empty()) {
    auto p = daemon::Pidfile::acquire(process_.pid_file);
    if (!p) return failStartup(daemonizer_, p.status().message());
    pidfile_.emplace(std::move(*p));
  }
  return std::nullopt;
}

int runNative(const daemon::ProcessConfig& process, const proxy::ListenerConfig& config) {
  ProcessStart start(process);
  if (auto code = start.begin()) return *code;
  daemon::Daemonizer& daemonizer = start.daemonizer();
  if (uint64_t limit = daemon::raiseFdLimit(daemon::fdsFor(config.maxconn));
      limit < daemon::fdsFor(config.maxconn)) {
    log::warning("open-file limit {} is below the {} that maxconn {} may need", limit,
                 daemon::fdsFor(config.maxconn), config.maxconn);
  }
  auto sockets = proxy::openListeningSockets(config, "");
  if (!sockets) return failStartup(daemonizer, sockets.status().message());
  // Before privileges are dropped, like the listening sockets: the path may
  // be where only root writes. A UNIX path, never a TCP port: this process
  // runs in the tenant's namespace, where a VM could reach a port.
  // A live socket at the path is another proxy's: refused, never taken over.
  net::Fd metrics_fd;
  const std::string& metrics_path = process.metrics_socket;
  if (!metrics_path.empty()) {
    Result<net::Fd> fd = net::listenUnix(metrics_path, 16, 0600);
    if (!fd) {
      return failStartup(daemonizer,
                         "--metrics_socket " + metrics_path + ": " + fd.status().message());
    }
    metrics_fd = std::move(*fd);
  }
  // Ours from here: removed however this function returns (the unlink may
  // fail once privileges are gone).
  struct UnlinkAtExit {
    const std::string& path;
    ~UnlinkAtExit() {
      if (!path.empty()) ::unlink(path.c_str());
    }
  } unlink_metrics{metrics_path};
  if (auto s = daemon::dropPrivileges(start.credentials()); !s)
    return failStartup(daemonizer, s.message());

  event::Loop loop;
  if (Status s = loop.init(); !s) return failStartup(daemonizer, s.message());
  proxy::Worker worker(loop);
  Result<proxy::Listener*> listener = worker.addListener(config, std::move(*sockets));
  if (!listener) return failStartup(daemonizer, listener.status().message());
  metrics::Endpoint metrics(loop, worker);
  if (metrics_fd.valid()) {
    if (Status s = metrics.add(std::move(metrics_fd)); !s) {
      return failStartup(daemonizer, "--metrics_socket: " + s.message());
    }
  }
  return serve(loop, worker, start,
               fmt::format("ns-metadata-proxy for {} {} listening on {} -> {}{}{}",
                           http::identityInfo(config.identity.kind).noun, config.identity.value,
                           (*listener)->describe(), config.upstream_socket,
                           metrics_path.empty() ? "" : "; metrics on ", metrics_path));
}

}  // namespace nsmp::app
