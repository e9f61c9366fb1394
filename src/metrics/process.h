// What the exposition says about the process itself, read from /proc at
// scrape time (nothing is sampled in between).
#pragma once

#include <cstdint>

namespace nsmp::metrics {

struct ProcessSample {
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;           // RLIMIT_NOFILE's soft limit
  uint64_t resident_bytes = 0;    // VmRSS
  double start_time_seconds = 0;  // since the Unix epoch
  double cpu_seconds = 0;         // user + system
};

// Reads /proc/self; a field it cannot read stays 0.
ProcessSample readProcess();

}  // namespace nsmp::metrics
