#include "metrics/collect.h"

#include "base/version.h"
#include "http/identity.h"
#include "metrics/exposition.h"
#include "metrics/health.h"

namespace nsmp::metrics {

Listeners listenersOf(const proxy::Worker& worker) {
  Listeners out;
  out.reserve(worker.listeners().size());
  for (const auto& l : worker.listeners()) out.push_back(l.get());
  return out;
}

std::string scrape(const Listeners& listeners) {
  std::vector<ListenerSample> samples;
  samples.reserve(listeners.size());
  for (const proxy::Listener* l : listeners) {
    samples.push_back({l->config().uuid, http::identityInfo(l->config().identity.kind).noun,
                       &l->counters(), l->upstreams().stats().opened, l->upstreams().stats().reused,
                       l->accepting()});
  }
  std::string out;
  writeExposition(samples, readProcess(), {projectVersion(), buildCommit()}, &out);
  return out;
}

std::vector<std::string> checkHealth(const Listeners& all) {
  std::vector<ListenerHealth> listeners;
  for (const proxy::Listener* l : all) {
    if (l->retiring()) continue;
    listeners.push_back({l->config().uuid, http::identityInfo(l->config().identity.kind).noun,
                         l->accepting(), l->config().upstream_socket});
  }
  return healthProblems(listeners);
}

}  // namespace nsmp::metrics
