// What one listener counts: the SIGUSR1 log line, `ctl list` and the metrics
// all read these. Plain data, updated by the listener and its sessions.
#pragma once

#include <array>
#include <cstdint>

#include "http/reply.h"

namespace nsmp::proxy {

struct Counters {
  uint64_t accepted = 0;
  uint64_t requests = 0;
  std::array<uint64_t, 6> responses_by_class{};  // index status / 100
  uint64_t bytes_to_client = 0;
  uint64_t upstream_connect_failures = 0;
  std::array<uint64_t, static_cast<size_t>(http::Reply::kCount)> local_replies{};
  uint32_t active = 0;  // open client connections
};

}  // namespace nsmp::proxy
