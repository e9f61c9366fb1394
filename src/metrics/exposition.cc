#include "metrics/exposition.h"

#include <vector>

#include <fmt/format.h>

#include "http/reply.h"
#include "metrics/text_format.h"

namespace nsmp::metrics {
namespace {

constexpr std::string_view kStatusClasses[] = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};

// Writes one family's header, then `sample(listener, labels)` for each listener.
template <typename Fn>
void perListener(std::string* out, std::span<const ListenerSample> listeners,
                 const std::vector<std::string>& labels, std::string_view name,
                 std::string_view type, std::string_view help, Fn sample) {
  writeFamily(out, name, type, help);
  for (size_t i = 0; i < listeners.size(); ++i) sample(listeners[i], labels[i]);
}

// A family of one sample per listener, named as the family: get(listener).
template <typename Get>
void perListenerValue(std::string* out, std::span<const ListenerSample> listeners,
                      const std::vector<std::string>& labels, std::string_view name,
                      std::string_view type, std::string_view help, Get get) {
  perListener(out, listeners, labels, name, type, help,
              [&](const ListenerSample& l, const std::string& lab) {
                writeSample(out, name, lab, static_cast<uint64_t>(get(l)));
              });
}

// The `le` label values of the histogram's buckets, formatted once.
const std::vector<std::string>& bucketBounds() {
  static const std::vector<std::string> bounds = [] {
    std::vector<std::string> v;
    v.reserve(proxy::kDurationBoundsUs.size() + 1);  // and "+Inf"
    for (uint64_t us : proxy::kDurationBoundsUs) {
      v.push_back(fmt::format("{}", static_cast<double>(us) / 1e6));
    }
    v.emplace_back("+Inf");
    return v;
  }();
  return bounds;
}

void writeHistogram(std::string* out, const std::string& labels, const proxy::Counters& c) {
  uint64_t cumulative = 0;
  std::string with_le;
  for (size_t b = 0; b < c.duration_buckets.size(); ++b) {
    cumulative += c.duration_buckets[b];
    with_le = labels;
    appendLabel(&with_le, "le", bucketBounds()[b]);
    writeSample(out, "nsmp_request_duration_seconds_bucket", with_le, cumulative);
  }
  writeSample(out, "nsmp_request_duration_seconds_sum", labels,
              static_cast<double>(c.duration_us_sum) / 1e6);
  writeSample(out, "nsmp_request_duration_seconds_count", labels, cumulative);
}

void writeListeners(std::span<const ListenerSample> ls, std::string* out) {
  std::vector<std::string> labels(ls.size());
  for (size_t i = 0; i < ls.size(); ++i) {
    appendLabel(&labels[i], "uuid", ls[i].uuid);
    appendLabel(&labels[i], "kind", ls[i].kind);
  }
  using L = const ListenerSample&;
  using S = const std::string&;
  perListenerValue(out, ls, labels, "nsmp_listener_up", "gauge",
                   "1 while the listener's sockets accept connections, 0 once stopped or draining.",
                   [](L l) { return l.accepting; });
  perListenerValue(out, ls, labels, "nsmp_connections_accepted_total", "counter",
                   "Client connections accepted.", [](L l) { return l.counters->accepted; });
  perListenerValue(out, ls, labels, "nsmp_connections_active", "gauge",
                   "Client connections open now.", [](L l) { return l.counters->active; });
  perListener(out, ls, labels, "nsmp_requests_total", "counter",
              "Requests answered, by status class (relayed from the agent or local).",
              [out](L l, S lab) {
                for (size_t k = 1; k < l.counters->responses_by_class.size(); ++k) {
                  std::string with = lab;
                  appendLabel(&with, "code", kStatusClasses[k]);
                  writeSample(out, "nsmp_requests_total", with, l.counters->responses_by_class[k]);
                }
              });
  perListener(out, ls, labels, "nsmp_local_replies_total", "counter",
              "Replies the proxy made itself, by reason word (only reasons seen so far).",
              [out](L l, S lab) {
                l.counters->forEachLocalReply([out, lab](std::string_view reason, uint64_t n) {
                  std::string with = lab;
                  appendLabel(&with, "reason", reason);
                  writeSample(out, "nsmp_local_replies_total", with, n);
                });
              });
  perListenerValue(
      out, ls, labels, "nsmp_rate_limited_requests_total", "counter",
      "Requests refused 429 by the per-source rate limit.", [](L l) {
        return l.counters->local_replies[static_cast<size_t>(http::Reply::kRateLimited)];
      });
  perListenerValue(out, ls, labels, "nsmp_client_sent_bytes_total", "counter",
                   "Bytes sent to clients (heads and bodies).",
                   [](L l) { return l.counters->bytes_to_client; });
  perListenerValue(out, ls, labels, "nsmp_agent_connections_opened_total", "counter",
                   "Connections opened to the metadata agent's socket.",
                   [](L l) { return l.upstream_opened; });
  perListenerValue(out, ls, labels, "nsmp_agent_connections_reused_total", "counter",
                   "Requests sent over a kept agent connection (--upstream_keepalive).",
                   [](L l) { return l.upstream_reused; });
  perListenerValue(out, ls, labels, "nsmp_agent_connect_failures_total", "counter",
                   "Failed attempts to connect to the metadata agent's socket.",
                   [](L l) { return l.counters->upstream_connect_failures; });
  perListener(out, ls, labels, "nsmp_request_duration_seconds", "histogram",
              "Time from a request's first byte to its last response byte queued.",
              [out](L l, S lab) { writeHistogram(out, lab, *l.counters); });
}

void writeProcess(const ProcessSample& p, const BuildSample& build, std::string* out) {
  writeFamily(out, "nsmp_process_open_fds", "gauge", "Open file descriptors.");
  writeSample(out, "nsmp_process_open_fds", "", p.open_fds);
  writeFamily(out, "nsmp_process_max_fds", "gauge", "The open-file limit (RLIMIT_NOFILE).");
  writeSample(out, "nsmp_process_max_fds", "", p.max_fds);
  writeFamily(out, "nsmp_process_resident_memory_bytes", "gauge", "Resident memory (VmRSS).");
  writeSample(out, "nsmp_process_resident_memory_bytes", "", p.resident_bytes);
  writeFamily(out, "nsmp_process_start_time_seconds", "gauge",
              "Start time of the process, seconds since the Unix epoch.");
  writeSample(out, "nsmp_process_start_time_seconds", "", p.start_time_seconds);
  writeFamily(out, "nsmp_process_cpu_seconds_total", "counter", "User and system CPU time.");
  writeSample(out, "nsmp_process_cpu_seconds_total", "", p.cpu_seconds);
  std::string labels;
  appendLabel(&labels, "version", build.version);
  appendLabel(&labels, "commit", build.commit);
  writeFamily(out, "nsmp_build_info", "gauge", "The version and commit of this binary (always 1).");
  writeSample(out, "nsmp_build_info", labels, uint64_t{1});
}

}  // namespace

void writeExposition(std::span<const ListenerSample> listeners, const ProcessSample& process,
                     const BuildSample& build, std::string* out) {
  writeFamily(out, "nsmp_listeners", "gauge", "Listeners served (draining ones included).");
  writeSample(out, "nsmp_listeners", "", uint64_t{listeners.size()});
  writeListeners(listeners, out);
  writeProcess(process, build, out);
}

}  // namespace nsmp::metrics
