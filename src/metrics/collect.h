// The worker's listeners as the exposition and the health check see them:
// the two answers every front (the single proxy's metrics socket, the node's
// control socket and TCP address) gives.
#pragma once

#include <string>
#include <vector>

#include "proxy/worker.h"

namespace nsmp::metrics {

using Listeners = std::vector<const proxy::Listener*>;
Listeners listenersOf(const proxy::Worker& worker);

// The metrics page (Prometheus text, metrics/text_format.h).
std::string scrape(const Listeners& listeners);

// Empty when healthy, else one line per problem (metrics/health.h).
// Listeners being removed (retiring) drain by design and are left out.
std::vector<std::string> checkHealth(const Listeners& listeners);

}  // namespace nsmp::metrics
