// proxy::ClientSide in-process: the VM's HTTP/1 half over a real socketpair,
// driven by a real event loop, with a session stand-in that records what the
// half reports. Each test follows the half through its State values.
#include "proxy/client_side.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "../net/loop_runner.h"

namespace nsmp::proxy {
namespace {

using State = ClientSide::State;

// What a session would see, as text: one entry per event.
class Recorder final : public ClientSide::Events {
 public:
  void onRequestStarted() override { events.push_back("started"); }
  void onRequestHead(const http::RequestHead& head) override {
    events.push_back("head " + std::string(head.fields.method) + " " +
                     std::string(head.facts.target));
  }
  size_t requestBodyRoom() override { return room; }
  void onRequestBody(std::string_view data) override { body += data; }
  void onRequestDone() override { events.push_back("done"); }
  void onRequestRefused(http::Reply reply) override {
    events.push_back(std::string("refused ") + http::replyInfo(reply).reason);
  }
  void onClientGone(const char* why) override { events.push_back(std::string("gone ") + why); }
  void onClientDrained() override { ++drained; }
  void onClientClosed() override { events.push_back("closed"); }
  void afterClientIo() override {}

  std::vector<std::string> events;
  std::string body;
  size_t room = 1 << 20;
  int drained = 0;
};

class ClientSideTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(loop_.init().ok());
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    vm_ = net::Fd(fds[1]);
    ASSERT_TRUE(side_.open(net::Fd(fds[0])).ok());
  }
  void vmSends(const std::string& bytes) {
    ASSERT_EQ(::send(vm_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  std::string vmReads(bool* eof) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(vm_.get(), buf, sizeof buf, MSG_DONTWAIT)) > 0) {
      out.append(buf, static_cast<size_t>(n));
    }
    *eof = n == 0;
    return out;
  }
  bool runUntil(const std::function<bool()>& done) { return runner_.runUntil(done); }
  bool saw(const std::string& event) const {
    for (const std::string& e : events_.events) {
      if (e == event) return true;
    }
    return false;
  }

  event::Loop loop_;
  net::testing::LoopRunner runner_{loop_};
  Recorder events_;
  ClientSide side_{loop_, events_, /*max_body=*/64};
  net::Fd vm_;
};

TEST_F(ClientSideTest, AHeadArrivingInPiecesGoesFromIdleThroughHeadToRead) {
  EXPECT_EQ(side_.state(), State::kIdle);
  vmSends("GET /latest/meta-data HTTP/1.1\r\nHo");
  ASSERT_TRUE(runUntil([&] { return saw("started"); }));
  EXPECT_EQ(side_.state(), State::kHead);
  vmSends("st: 169.254.169.254\r\n\r\n");
  ASSERT_TRUE(runUntil([&] { return side_.state() == State::kRead; }));
  EXPECT_EQ(events_.events,
            (std::vector<std::string>{"started", "head GET /latest/meta-data", "done"}));
  EXPECT_EQ(side_.requestLine(), "GET /latest/meta-data HTTP/1.1");
}

TEST_F(ClientSideTest, APipelinedRequestWaitsUntilTheResponseBeforeItIsSent) {
  vmSends("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(runUntil([&] { return side_.state() == State::kRead; }));
  runner_.runFor(event::Millis(20));
  EXPECT_FALSE(saw("head GET /b")) << "read before the first response went out";
  side_.out().append("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  side_.nextRequest();
  ASSERT_TRUE(runUntil([&] { return saw("head GET /b"); }));
  bool eof = false;
  EXPECT_EQ(vmReads(&eof), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(eof);
}

TEST_F(ClientSideTest, AChunkedBodyIsDecodedForTheSessionAsRoomAllows) {
  events_.room = 0;  // the session takes nothing yet: the body waits in kBody
  vmSends("POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  ASSERT_TRUE(runUntil([&] { return saw("head POST /p"); }));
  EXPECT_EQ(side_.state(), State::kBody);
  EXPECT_EQ(events_.body, "");
  events_.room = 1 << 20;
  vmSends("2;ext=1\r\nde\r\n0\r\nTrailer-Field: x\r\n\r\n");
  ASSERT_TRUE(runUntil([&] { return side_.state() == State::kRead; }));
  EXPECT_EQ(events_.body, "abcde") << "trailers are never body bytes";
  EXPECT_TRUE(saw("done"));
}

TEST_F(ClientSideTest, ABareCrInAChunkLineIsRefused) {
  vmSends("POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\rabc\r\n0\r\n\r\n");
  ASSERT_TRUE(runUntil([&] { return events_.events.size() >= 3; }));
  EXPECT_EQ(events_.events.back(), "refused invalid_chunk");
  EXPECT_EQ(events_.body, "");
}

TEST_F(ClientSideTest, AContentLengthOverTheLimitIsRefusedFromTheHead) {
  vmSends("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 65\r\n\r\n");
  ASSERT_TRUE(runUntil([&] { return saw("refused body_too_large"); }));
  EXPECT_FALSE(saw("head POST /p")) << "the session never sees a head it cannot forward";
}

// A head cut short has no one left to answer: the half closes (the session
// logs nothing and goes); EOF inside a body is "gone" (the session logs it).
TEST_F(ClientSideTest, EofInsideAHeadClosesWithoutAnEvent) {
  vmSends("GET / HTTP/1.1\r\n");
  ASSERT_EQ(::shutdown(vm_.get(), SHUT_WR), 0);
  ASSERT_TRUE(runUntil([&] { return side_.closed(); }));
  EXPECT_EQ(events_.events, (std::vector<std::string>{"started", "closed"}));
}

TEST_F(ClientSideTest, EofInsideABodyIsReportedAsGone) {
  vmSends("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
  ASSERT_EQ(::shutdown(vm_.get(), SHUT_WR), 0);
  ASSERT_TRUE(runUntil([&] { return saw("gone client_closed_in_body"); }));
  EXPECT_EQ(events_.body, "abc");
}

TEST_F(ClientSideTest, CloseAfterFlushSendsTheReplyThenEndsTheConnection) {
  vmSends("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(runUntil([&] { return side_.state() == State::kRead; }));
  side_.out().append("HTTP/1.1 503 x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  side_.closeAfterFlush();
  std::string got;
  bool eof = false;
  ASSERT_TRUE(runUntil([&] {
    got += vmReads(&eof);
    return eof;
  }));
  EXPECT_EQ(got, "HTTP/1.1 503 x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  // The VM closes too: the lingering close ends and the session may go.
  vm_ = net::Fd();
  ASSERT_TRUE(runUntil([&] { return side_.closed(); }));
  EXPECT_TRUE(saw("closed"));
}

}  // namespace
}  // namespace nsmp::proxy
