// net::Acceptor on real listening sockets: the maxconn pause (further
// connections wait in the backlog) and its resumption, stop(), adopt(), and
// what it sets on TCP connections.
#include "net/acceptor.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "loop_runner.h"
#include "net/socket.h"

namespace nsmp::net {
namespace {

using testing::LoopRunner;

class Children final : public Acceptor::Handler {
 public:
  void onAccept(Fd fd, const PeerAddress& peer) override {
    fds.push_back(std::move(fd));
    peers.push_back(peer);
  }
  std::vector<Fd> fds;
  std::vector<PeerAddress> peers;
};

class AcceptorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(loop_.init().ok());
    char tmpl[] = "/tmp/nsmp-acceptor-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/listen.sock";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  Fd listenHere() {
    Result<Fd> fd = listenUnix(path_, 16);
    EXPECT_TRUE(fd.ok()) << fd.status().message();
    return fd.ok() ? std::move(*fd) : Fd();
  }
  // A blocking connect: it succeeds while the connection waits in the backlog.
  Fd connectHere() {
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path_.data(), path_.size());
    connected_ = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0;
    return fd;
  }

  event::Loop loop_;
  LoopRunner runner_{loop_};
  Children children_;
  std::string dir_, path_;
  bool connected_ = false;
};

TEST_F(AcceptorTest, AtMaxChildrenTheRestWaitsInTheBacklogUntilOneCloses) {
  Acceptor acceptor(loop_, children_, 2);
  ASSERT_TRUE(acceptor.add(listenHere()).ok());
  EXPECT_EQ(acceptor.describe(), path_);
  std::vector<Fd> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connectHere());
    ASSERT_TRUE(connected_);
  }
  ASSERT_TRUE(runner_.runUntil([&] { return children_.fds.size() >= 2; }));
  runner_.runFor(event::Millis(20));  // the third is in the backlog: no edge accepts it
  EXPECT_EQ(children_.fds.size(), 2u);
  EXPECT_EQ(acceptor.children(), 2u);
  // One child gone: the waiting connection is accepted at once, without a new edge.
  children_.fds.front().reset();
  acceptor.childClosed();
  EXPECT_EQ(children_.fds.size(), 3u);
  EXPECT_EQ(acceptor.children(), 2u);
}

TEST_F(AcceptorTest, StopClosesTheListeningSocketAndChildrenGoOn) {
  Acceptor acceptor(loop_, children_, 8);
  ASSERT_TRUE(acceptor.add(listenHere()).ok());
  Fd first = connectHere();
  ASSERT_TRUE(runner_.runUntil([&] { return children_.fds.size() == 1; }));
  acceptor.stop();
  EXPECT_FALSE(acceptor.accepting());
  Fd refused = connectHere();
  EXPECT_FALSE(connected_) << "nobody listens any more";
  EXPECT_EQ(::send(first.get(), "x", 1, MSG_NOSIGNAL), 1) << "the accepted connection stays";
  acceptor.childClosed();
  EXPECT_EQ(acceptor.children(), 0u);
}

TEST_F(AcceptorTest, AdoptedConnectionsCountAsChildren) {
  Acceptor acceptor(loop_, children_, 1);
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  Fd other(fds[1]);
  acceptor.adopt(Fd(fds[0]), PeerAddress{});
  EXPECT_EQ(acceptor.children(), 1u);
  ASSERT_EQ(children_.fds.size(), 1u);
  EXPECT_EQ(children_.fds[0].get(), fds[0]);
}

TEST_F(AcceptorTest, TcpConnectionsGetNoDelayAndThePeersAddress) {
  Acceptor acceptor(loop_, children_, 4);
  ListenSpec spec;
  spec.host = "127.0.0.1";
  Result<Fd> listening = listenTcp(spec);
  ASSERT_TRUE(listening.ok()) << listening.status().message();
  ASSERT_TRUE(acceptor.add(std::move(*listening)).ok());
  ASSERT_EQ(acceptor.describe().rfind("127.0.0.1:", 0), 0u) << acceptor.describe();
  uint16_t port = static_cast<uint16_t>(std::stoi(acceptor.describe().substr(10)));
  Fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  ASSERT_TRUE(runner_.runUntil([&] { return children_.fds.size() == 1; }));
  int nodelay = 0;
  socklen_t len = sizeof nodelay;
  ASSERT_EQ(::getsockopt(children_.fds[0].get(), IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
  EXPECT_NE(nodelay, 0);
  EXPECT_EQ(children_.peers[0].ip(), "127.0.0.1");
}

}  // namespace
}  // namespace nsmp::net
