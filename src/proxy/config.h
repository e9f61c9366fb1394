// What one listener (one network or router namespace) is configured with.
// Produced by the Neutron command line (app/cli) or an haproxy config
// (haproxy/config_parser); consumed by proxy::Worker. Plain data, no logic
// beyond defaults that match Neutron's haproxy template.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "http/identity.h"

namespace nsmp::proxy {

using Millis = std::chrono::milliseconds;

// Which identity header the proxy asserts toward the metadata agent.
using http::IdentityKind;

struct Identity {
  IdentityKind kind = IdentityKind::kNetwork;
  std::string value;  // proxy::isSafeId() (proxy/listener_id.h), checked by the producer
};

struct BindAddress {
  std::string host = "0.0.0.0";  // IPv4 or IPv6 literal, no brackets
  uint16_t port = 9697;
  std::string interface;  // non-empty: bind to this device (IPv6 link-local scope)
};

// Neutron's haproxy defaults: http-request 30s, connect 30s, client 32s,
// server 32s, http-keep-alive 30s.
struct Timeouts {
  Millis http_request{30'000};
  Millis connect{30'000};
  Millis client{32'000};
  Millis server{32'000};
  Millis http_keep_alive{30'000};
};

// Per-source-address request rate limiting (Neutron's [metadata_rate_limiting]).
// A request is refused with 429 when the number of requests from its source
// address within either window exceeds that window's limit.
struct RateLimit {
  bool enabled = false;
  Millis base_window{10'000};
  uint32_t base_limit = 10;
  Millis burst_window{10'000};
  uint32_t burst_limit = 10;
  uint32_t table_size = 10'240;  // tracked addresses at most ("size 10k")
  Millis expire{10'000};         // an idle entry is forgotten after this
};

struct ListenerConfig {
  std::string uuid;  // network id, else router id: names logs and files
  Identity identity;
  std::vector<BindAddress> binds{BindAddress{}};
  std::string upstream_socket = "/var/lib/neutron/metadata_proxy";
  Timeouts timeouts;
  uint32_t maxconn = 1024;
  // Open connections one source address may hold (0: no limit); more are
  // answered 429 too_many_connections. A VM's cloud-init uses one at a time.
  uint32_t maxconn_per_source = 64;
  uint64_t max_body = 1u << 20;   // request body limit; larger gets 413
  uint32_t connect_attempts = 3;  // to the upstream, before answering 503
  // Idle agent connections kept for reuse (0: a fresh connection and
  // "Connection: close" per request, as Neutron's haproxy config does).
  uint32_t upstream_keepalive = 0;
  Millis upstream_idle{5'000};  // an idle kept connection is closed after this
  RateLimit rate_limit;
  // Set by the node (one process, many namespaces); empty for a single proxy.
  std::string netns;    // the network namespace the sockets were opened in
  std::string log_tag;  // before this listener's access lines: "network <uuid>: "
};

}  // namespace nsmp::proxy
