// Who is asking: the instance is found the way Neutron's metadata agent finds
// it (neutron/agent/metadata/proxy_base.py, agent.py): the proxy's identity
// header names a network (X-Neutron-Network-ID, or X-OVN-Network-ID from an
// OVN proxy) or a router (X-Neutron-Router-ID: every network attached to it),
// and X-Forwarded-For holds the single client address. A port on one of
// those networks with that fixed IP identifies the instance. X-OVN-Network-ID
// counts only without a Neutron id header: each agent reads its own headers
// and ignores the other's.
//
// Where the agent would fail with 500 (a missing or malformed
// X-Forwarded-For: netaddr raises) this server answers 400, since the
// request, not the server, is wrong.
#pragma once

#include <string>

#include "metadata/message.h"
#include "metadata/model.h"

namespace nsmp::metadata {

struct LookupResult {
  const Instance* instance = nullptr;  // points into the Dataset passed in
  int status = 200;                    // 400 or 404 when instance is null
  std::string message;                 // for the response body and the log
  std::string reason;                  // fixed word for the access log
};

LookupResult findInstance(const Dataset& data, const Request& request);

}  // namespace nsmp::metadata
