// What the node and its root helper (node/helper) say to each other over
// their SOCK_SEQPACKET socketpair: one message each way per listener.
//
//   request: fields, each ended by NUL:
//              netns, maxconn, then host, port, interface for every address
//   reply:   "1" with one listening socket per address attached (SCM_RIGHTS),
//            or "0" followed by why not (the text `ctl add` prints)
//
// The helper runs as root for a node that may be compromised, so a request
// is read strictly (decodeRequest): every field is checked against what a
// listener's configuration can hold, and anything else is refused.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/fd.h"
#include "proxy/config.h"

namespace nsmp::node {

// At most this many addresses per listener (one message carries their fds).
inline constexpr size_t kMaxBinds = 16;
// The longest message either side sends or accepts.
inline constexpr size_t kMaxMessage = 16384;
// maxconn as the command line and haproxy configs allow it.
inline constexpr uint32_t kMaxMaxconn = 1'000'000;
// Every refusal of a malformed request starts with this.
inline constexpr std::string_view kMalformed = "socket helper refused the request: ";

std::string encodeRequest(const proxy::ListenerConfig& config);

// The netns, maxconn and binds a request asks for, or why it is refused:
// wrong field count, a field that is not exactly what encodeRequest writes
// for a valid listener (a namespace as netnsPath() allows it, maxconn
// 1-1000000, an IPv4 or IPv6 literal, a port 0-65535 in plain decimal, an
// interface name or nothing), or bytes after the last field.
Result<proxy::ListenerConfig> decodeRequest(std::string_view message);

// One message and the descriptors that came with it.
struct Message {
  enum class Kind { kMessage, kEnd, kAgain, kError };
  Kind kind = Kind::kError;
  std::string bytes;
  std::vector<net::Fd> fds;
  bool truncated = false;  // longer than kMaxMessage, or more fds than kMaxBinds
  int error = 0;           // errno, for kError
};

// Sends `bytes` with `fds` attached (at most kMaxBinds); false on error
// (errno set).
bool sendMessage(int channel, std::string_view bytes, const std::vector<net::Fd>& fds);
// Receives one message; on a non-blocking channel kAgain when none is there.
Message receiveMessage(int channel);

}  // namespace nsmp::node
