#include "proxy/listen_sockets.h"

#include <algorithm>

#include "net/socket.h"

namespace nsmp::proxy {
namespace {

// "::" serves IPv4 too (haproxy's behaviour, which Neutron's IPv6-enabled
// routers rely on) unless the same listener also binds IPv4's wildcard there.
bool dualStack(const BindAddress& b, const std::vector<BindAddress>& all) {
  if (b.host != "::" && b.host != "[::]") return false;
  for (const BindAddress& other : all) {
    if (other.host == "0.0.0.0" && other.port == b.port) return false;
  }
  return true;
}

}  // namespace

std::string bindName(const BindAddress& b) {
  std::string host = b.host.find(':') != std::string::npos ? "[" + b.host + "]" : b.host;
  std::string s = host + ":" + std::to_string(b.port);
  if (!b.interface.empty()) s += " on " + b.interface;
  return s;
}

Result<std::vector<net::Fd>> openListeningSockets(const ListenerConfig& config,
                                                  std::string_view where) {
  std::vector<net::Fd> sockets;
  int backlog = static_cast<int>(std::max<uint32_t>(config.maxconn, 128));
  for (const BindAddress& b : config.binds) {
    Result<net::Fd> fd =
        net::listenTcp({b.host, b.port, b.interface, backlog, !dualStack(b, config.binds)});
    if (!fd) return fd.status().withContext("cannot listen on " + bindName(b) + std::string(where));
    sockets.push_back(std::move(*fd));
  }
  return sockets;
}

}  // namespace nsmp::proxy
