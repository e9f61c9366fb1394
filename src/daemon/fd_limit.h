// Open-file limit. A proxy holds two descriptors per request in flight (the
// VM's connection and the agent's), so maxconn 1024 needs more than the
// usual soft limit of 1024; haproxy raises its own limit from maxconn for the
// same reason. Running out makes accept() fail while connections wait.
#pragma once

#include <cstdint>

namespace nsmp::daemon {

// Raises the soft RLIMIT_NOFILE towards `wanted` (never lowers it, never
// above the hard limit) and returns the soft limit in force afterwards.
uint64_t raiseFdLimit(uint64_t wanted);

// Descriptors a listener of `maxconn` connections may need at once.
inline uint64_t fdsFor(uint64_t maxconn) { return 2 * maxconn + 64; }

}  // namespace nsmp::daemon
