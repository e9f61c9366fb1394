// Reading back what crossed the sockets of the session fuzzer: the requests
// the agent received, the requests a VM sent, the responses a VM received.
// Parsed with the proxy's own pipelines (http/), which the proxy's other
// tests and fuzzers check against fixed expectations; here they only cut
// streams into messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nsmp::fuzz {

struct AgentRequest {
  bool complete_head = false;  // a head arrived whole
  bool valid = false;          // ... and passes the proxy's own request checks
  bool complete = false;       // ... and its body arrived whole
  std::string request_line;    // "METHOD target"
  std::string forwarded;       // the last X-Forwarded-For value
  int identity_fields = 0;     // X-Neutron-Network-ID fields
  int forwarded_fields = 0;    // X-Forwarded-For fields
  bool identity_is_ours = true;
  bool foreign_identity = false;  // any other identity-class field (Router-ID, Forwarded, ...)
  bool underscore = false;        // a field name with '_'
};
std::vector<AgentRequest> requestsReceived(std::string_view stream);

struct SentRequest {
  std::string request_line;  // as the agent would see it
  bool head_method = false;
};
// The requests the proxy accepts from `stream`, in order, up to the first it
// must refuse or that is incomplete.
std::vector<SentRequest> requestsSent(std::string_view stream, uint64_t max_body);

struct ReceivedResponse {
  bool valid = false;     // the head passes the proxy's own response checks
  bool complete = false;  // head and body arrived whole
  int status = 0;
  std::string marker;  // X-Fuzz-Seq: which agent answer it relays
};
// The final responses in `stream` (interim ones skipped); `sent[i]` tells
// whether the i-th answered a HEAD. `closed`: nothing more will arrive.
std::vector<ReceivedResponse> responsesReceived(std::string_view stream,
                                                const std::vector<SentRequest>& sent, bool closed);

}  // namespace nsmp::fuzz
