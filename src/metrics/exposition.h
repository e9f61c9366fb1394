// The metrics page: every counter of every listener (labels uuid and kind),
// the process's own figures and the build, as Prometheus text (text_format.h).
// Built only when scraped, from the plain counters the proxy keeps anyway:
// metrics cost nothing between scrapes. docs/metrics.md lists every family.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "metrics/process.h"
#include "proxy/counters.h"

namespace nsmp::metrics {

// What the page says about one listener.
struct ListenerSample {
  std::string_view uuid;
  std::string_view kind;  // http::identityInfo(kind).noun: "network", "router"
  const proxy::Counters* counters = nullptr;
  uint64_t upstream_opened = 0;  // fresh connections to the agent
  uint64_t upstream_reused = 0;  // requests sent over a kept one
  bool accepting = true;
};

struct BuildSample {
  std::string_view version;
  std::string_view commit;
};

// Appends the whole page to *out.
void writeExposition(std::span<const ListenerSample> listeners, const ProcessSample& process,
                     const BuildSample& build, std::string* out);

}  // namespace nsmp::metrics
