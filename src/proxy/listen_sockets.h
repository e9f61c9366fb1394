// Opening a listener's TCP sockets (one per ListenerConfig::binds entry) in
// the calling thread's network namespace. Separate from Listener because the
// sockets are opened before privileges are dropped (single proxy) or inside
// another namespace (node), and handed over afterwards.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/fd.h"
#include "proxy/config.h"

namespace nsmp::proxy {

// "127.0.0.1:9697", "[fe80::a9fe:a9fe]:80 on qr-1"
std::string bindName(const BindAddress& b);

// Binds and listens on every address of `config`, in order. Fails with
// "cannot listen on <address><where>: <reason>"; sockets opened so far are
// closed.
Result<std::vector<net::Fd>> openListeningSockets(const ListenerConfig& config,
                                                  std::string_view where);

}  // namespace nsmp::proxy
