// proxy::UpstreamSide and proxy::UpstreamPool in-process: the agent's HTTP/1
// half over real UNIX sockets to an agent played by the test, driven by a
// real event loop, with a session stand-in that records what the half reports.
#include "proxy/upstream_side.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "../net/loop_runner.h"
#include "net/socket.h"
#include "proxy/config.h"
#include "proxy/upstream_pool.h"

namespace nsmp::proxy {
namespace {

using State = UpstreamSide::State;

constexpr std::string_view kGet = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";

class Recorder final : public UpstreamSide::Events {
 public:
  void onInterimResponse(const http::HeadFields& head) override {
    events.push_back("interim " + std::to_string(head.status));
  }
  bool onResponseHead(const http::HeadFields& head) override {
    events.push_back("head " + std::to_string(head.status));
    return true;
  }
  size_t responseBodyRoom() override { return 1 << 20; }
  void onResponseBody(std::string_view data) override { body += data; }
  void onResponseDone(bool reusable) override {
    events.push_back(reusable ? "done reusable" : "done");
  }
  // As the session does: a refusal or an abort gives the connection up.
  void onUpstreamRefused(http::Reply reply) override {
    events.push_back(std::string("refused ") + http::replyInfo(reply).reason);
    side->release(false);
  }
  void onUpstreamAborted(const char* why) override {
    events.push_back(std::string("aborted ") + why);
    side->release(false);
  }
  void onUpstreamStale() override { events.push_back("stale"); }
  void onRequestAbandoned() override { events.push_back("abandoned"); }
  void onUpstreamDrained() override {}
  void afterUpstreamIo() override {}

  UpstreamSide* side = nullptr;
  std::vector<std::string> events;
  std::string body;
};

class UpstreamSideTest : public ::testing::Test {
 protected:
  static std::string makeDir() {
    char dir[] = "/tmp/nsmp-upstream-side-XXXXXX";
    return ::mkdtemp(dir) ? dir : "";
  }
  // Before the pool is made: it reads the config when constructed.
  static ListenerConfig configIn(const std::string& dir) {
    ListenerConfig c;
    c.upstream_socket = dir + "/agent.sock";
    c.upstream_keepalive = 4;
    return c;
  }
  void SetUp() override {
    ASSERT_FALSE(dir_.empty());
    ASSERT_TRUE(loop_.init().ok());
    Result<net::Fd> agent = net::listenUnix(config_.upstream_socket, 8);
    ASSERT_TRUE(agent) << agent.status().message();
    agent_listen_ = std::move(*agent);
    events_.side = &side_;
  }
  void TearDown() override {
    ::unlink(config_.upstream_socket.c_str());
    ::rmdir(dir_.c_str());
  }

  // The agent takes the connection the proxy made (blocking: it is queued).
  net::Fd agentAccepts() {
    int fd = ::accept4(agent_listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return net::Fd(fd);
  }
  // The request the agent has read so far.
  static std::string agentReads(const net::Fd& conn) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(conn.get(), buf, sizeof buf, MSG_DONTWAIT)) > 0) {
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  static void agentSends(const net::Fd& conn, const std::string& bytes) {
    ASSERT_EQ(::send(conn.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  bool saw(const std::string& event) const {
    for (const std::string& e : events_.events) {
      if (e == event) return true;
    }
    return false;
  }
  // One GET sent over a (fresh or kept) connection.
  void sendGet(bool may_reuse) {
    side_.resetOut();
    side_.out().append(kGet);
    ASSERT_TRUE(side_.connect(may_reuse, /*head_request=*/false).ok());
  }

  event::Loop loop_;
  net::testing::LoopRunner runner_{loop_};
  std::string dir_ = makeDir();
  ListenerConfig config_ = configIn(dir_);
  net::Fd agent_listen_;
  Recorder events_;
  UpstreamPool pool_{loop_, config_};
  UpstreamSide side_{events_, pool_};
};

TEST_F(UpstreamSideTest, ARequestGoesOutAndItsResponseComesBackThroughEachState) {
  EXPECT_EQ(side_.state(), State::kIdle);
  sendGet(false);
  EXPECT_EQ(side_.state(), State::kHead);
  net::Fd agent = agentAccepts();
  ASSERT_TRUE(agent.valid());
  std::string request;
  ASSERT_TRUE(runner_.runUntil([&] {
    request += agentReads(agent);
    return request.size() >= kGet.size();
  }));
  EXPECT_EQ(request, kGet);
  agentSends(agent, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel");
  ASSERT_TRUE(runner_.runUntil([&] { return side_.state() == State::kBody; }));
  agentSends(agent, "lo");
  ASSERT_TRUE(runner_.runUntil([&] { return side_.state() == State::kDone; }));
  EXPECT_EQ(events_.events, (std::vector<std::string>{"interim 100", "head 200", "done reusable"}));
  EXPECT_EQ(events_.body, "hello");
  side_.release(true);
  EXPECT_EQ(side_.state(), State::kIdle);
  EXPECT_EQ(pool_.idleCount(), 1u);
  EXPECT_EQ(pool_.stats().opened, 1u);
}

TEST_F(UpstreamSideTest, AKeptConnectionIsReusedForTheNextRequest) {
  sendGet(false);
  net::Fd agent = agentAccepts();
  agentSends(agent, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(runner_.runUntil([&] { return side_.state() == State::kDone; }));
  side_.release(true);
  events_.events.clear();
  sendGet(true);
  std::string request;
  ASSERT_TRUE(runner_.runUntil([&] {
    request += agentReads(agent);
    return request.size() >= kGet.size();
  }));
  EXPECT_EQ(request, kGet) << "the second request, alone, on the kept connection";
  EXPECT_EQ(pool_.stats().reused, 1u);
  EXPECT_EQ(pool_.stats().opened, 1u) << "no second connection was made";
}

TEST_F(UpstreamSideTest, AKeptConnectionTheAgentClosedUnansweredIsOfferedAgainAsStale) {
  sendGet(false);
  net::Fd agent = agentAccepts();
  agentSends(agent, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(runner_.runUntil([&] { return side_.state() == State::kDone; }));
  side_.release(true);
  agent = net::Fd();  // the agent closes its kept connection
  events_.events.clear();
  sendGet(true);
  ASSERT_TRUE(runner_.runUntil([&] { return !events_.events.empty(); }));
  EXPECT_EQ(events_.events, (std::vector<std::string>{"stale"}));
}

TEST_F(UpstreamSideTest, AResponseHeadOverTheLimitIsRefusedAtOnce) {
  sendGet(false);
  net::Fd agent = agentAccepts();
  std::string head = "HTTP/1.1 200 OK\r\n";
  while (head.size() < 40 * 1024) head += "X-Filler: " + std::string(100, 'a') + "\r\n";
  ::send(agent.get(), head.data(), head.size(), MSG_NOSIGNAL);  // what fits; more than the limit
  ASSERT_TRUE(runner_.runUntil([&] { return !events_.events.empty(); }));
  EXPECT_EQ(events_.events, (std::vector<std::string>{"refused upstream_head_too_large"}));
}

TEST_F(UpstreamSideTest, AResponseCutShortIsAnAbort) {
  sendGet(false);
  net::Fd agent = agentAccepts();
  agentSends(agent, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  ASSERT_TRUE(runner_.runUntil([&] { return side_.state() == State::kBody; }));
  agent = net::Fd();
  ASSERT_TRUE(runner_.runUntil([&] { return events_.events.size() >= 2; }));
  EXPECT_EQ(events_.events.front(), "head 200");
  EXPECT_TRUE(events_.events.back().starts_with("aborted")) << events_.events.back();
}

}  // namespace
}  // namespace nsmp::proxy
