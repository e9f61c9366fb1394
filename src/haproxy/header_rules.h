// The `http-request set-header / add-header / del-header` lines of the
// configs Neutron and OVN write, read back into the one identity the engine
// asserts. The engine's identity policy holds whatever the lines say: client
// copies of every identity header are always removed and exactly one header
// with the configured value is sent, so `add-header` (2017 and OVN templates,
// which let a VM spoof a second copy) becomes a replace, and `del-header` of
// a header the engine strips anyway is accepted as a no-op. Header rules the
// engine would not honour exactly (other headers, conditions, log-format
// values) are refused.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "proxy/config.h"

namespace nsmp::haproxy {

class HeaderRules {
 public:
  // `w` starts at the action ("set-header", "add-header", "del-header").
  // Errors say what is wrong without the line number.
  Status add(int line, const std::vector<std::string>& w);

  // The identity to assert. Both a network and a router header (the 2017
  // template given both ids): the network wins, as on the command line, and
  // a warning is added. Errors are "line N: ..."; `listen_line` is where the
  // listener section starts, for the "no identity header" error.
  Result<proxy::Identity> finish(int listen_line, std::vector<std::string>* warnings) const;

 private:
  struct Assigned {
    int line = 0;
    std::string value;
  };
  std::optional<Assigned> network_, router_, ovn_;
};

// True when `name` is one the engine always removes from client requests
// (identity and forwarding headers); compared case-insensitively.
bool isAlwaysStrippedHeader(std::string_view name);

}  // namespace nsmp::haproxy
