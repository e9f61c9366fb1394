// What one listener counts: the SIGUSR1 log line, `ctl list` and the metrics
// (src/metrics) all read these. Plain data, updated by the listener and its
// sessions; nothing here allocates or locks, so counting costs a few adds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/reply.h"

namespace nsmp::proxy {

// Upper bounds of the request-duration histogram's buckets, microseconds
// (1 ms .. 10 s, as seconds in the exposition); a last bucket takes the rest.
inline constexpr std::array<uint64_t, 12> kDurationBoundsUs = {
    1'000,   5'000,   10'000,    25'000,    50'000,    100'000,
    250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};

struct Counters {
  uint64_t accepted = 0;
  uint64_t requests = 0;
  std::array<uint64_t, 6> responses_by_class{};  // index status / 100
  uint64_t bytes_to_client = 0;
  uint64_t upstream_connect_failures = 0;
  std::array<uint64_t, static_cast<size_t>(http::Reply::kCount)> local_replies{};
  uint32_t active = 0;  // open client connections
  // Requests by duration (from the first byte of the request to its access
  // line), per bucket -- not cumulative: the exposition sums them.
  std::array<uint64_t, kDurationBoundsUs.size() + 1> duration_buckets{};
  uint64_t duration_us_sum = 0;

  void observeDuration(uint64_t us) {
    size_t i = 0;
    while (i < kDurationBoundsUs.size() && us > kDurationBoundsUs[i]) ++i;
    ++duration_buckets[i];
    duration_us_sum += us;
  }

  // Calls f(reason word, count) for each local reply made at least once, in
  // the order of http::Reply: the one walk the log line, `ctl list` and the
  // metrics share.
  template <class F>
  void forEachLocalReply(F&& f) const {
    for (size_t i = 1; i < local_replies.size(); ++i) {
      if (local_replies[i] != 0)
        f(http::replyInfo(static_cast<http::Reply>(i)).reason, local_replies[i]);
    }
  }
};

}  // namespace nsmp::proxy
