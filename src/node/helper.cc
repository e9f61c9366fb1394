#include "node/helper.h"

#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "node/helper_protocol.h"
#include "node/netns.h"
#include "proxy/listen_sockets.h"

namespace nsmp::node {
namespace {

constexpr int kChannelFd = 3;  // the helper's end, once everything else is closed

int intOption(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, level, name, &v, &len) != 0) return -1;
  return v;
}

// The one kind of socket the helper hands out. openListeningSockets() makes
// nothing else today; checked here so that no later change can widen what a
// compromised node obtains.
bool isTcpListener(int fd) {
  int domain = intOption(fd, SOL_SOCKET, SO_DOMAIN);
  return (domain == AF_INET || domain == AF_INET6) &&
         intOption(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM &&
         intOption(fd, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP &&
         intOption(fd, SOL_SOCKET, SO_ACCEPTCONN) == 1;
}

Result<std::vector<net::Fd>> serve(NamespaceSwitch& home, const Message& request) {
  if (!request.fds.empty()) {
    return invalidArgument(std::string(kMalformed) + "it carries file descriptors");
  }
  if (request.truncated) {
    return invalidArgument(std::string(kMalformed) + "longer than " + std::to_string(kMaxMessage) +
                           " bytes");
  }
  auto config = decodeRequest(request.bytes);
  if (!config) return config.status();
  auto target = openNetns(config->netns);
  if (!target) return target.status();
  if (sameNamespace(target->get(), home.home())) {
    return Status(
        Code::kFailedPrecondition,
        "netns " + config->netns +
            " is the node's own network namespace: add the listener without --netns (the node "
            "opens those itself, with its own privileges)");
  }
  std::vector<net::Fd> sockets;
  Status opened = home.runIn(config->netns, target->get(), [&]() -> Status {
    auto listening = proxy::openListeningSockets(*config, " in " + config->netns);
    if (!listening) return listening.status();
    sockets = std::move(*listening);
    return {};
  });
  if (!opened) return opened;
  for (const net::Fd& s : sockets) {
    if (!isTcpListener(s.get())) {
      return Status(Code::kFailedPrecondition,
                    "socket helper: opened something other than a TCP listener");
    }
  }
  return sockets;
}

// The helper's whole life: one request, one reply, until the node goes.
[[noreturn]] void helperMain(pid_t node, int channel) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != node) ::_exit(0);  // the node died before the line above
  // Keep nothing of the node's but the channel (and stdio for a last word).
  if (::dup2(channel, kChannelFd) < 0) ::_exit(1);
  ::close_range(kChannelFd + 1, ~0U, 0);
  auto home = NamespaceSwitch::open();
  for (;;) {
    Message request = receiveMessage(kChannelFd);
    if (request.kind != Message::Kind::kMessage)
      ::_exit(request.kind == Message::Kind::kEnd ? 0 : 1);
    if (!home) {
      sendMessage(kChannelFd, "0" + home.status().message(), {});
      continue;
    }
    auto sockets = serve(*home, request);
    bool sent = sockets ? sendMessage(kChannelFd, "1", *sockets)
                        : sendMessage(kChannelFd, "0" + sockets.status().message(), {});
    if (!sent) ::_exit(1);
  }
}

}  // namespace

Result<HelperProcess> forkHelper() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return Status::fromErrno("socketpair");
  }
  net::Fd mine(pair[0]), theirs(pair[1]);
  pid_t node = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Status::fromErrno("fork");
  if (pid == 0) helperMain(node, theirs.get());
  return HelperProcess{std::move(mine), pid};
}

}  // namespace nsmp::node
