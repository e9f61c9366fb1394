// net::Stream over a real socketpair, driven by a real event loop: reads
// bounded by the buffer's limit, flushes that block and resume on EPOLLOUT,
// failed flushes, and the lingering close.
#include "net/stream.h"

#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <string>

#include "base/buffer.h"
#include "loop_runner.h"

namespace nsmp::net {
namespace {

using testing::LoopRunner;

// Records what epoll reports, as every owner of a Stream does in onIo().
class Recorder final : public event::IoHandler {
 public:
  void onIo(event::Watcher&, uint32_t events) override {
    stream->onEvents(events);
    seen |= events;
    ++calls;
  }
  Stream* stream = nullptr;
  uint32_t seen = 0;
  int calls = 0;
};

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(loop_.init().ok());
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    mine_ = Fd(fds[0]);
    peer_ = Fd(fds[1]);
    recorder_.stream = &stream_;
  }

  void open(Stream::Out out = Stream::Out::kWhenBlocked) {
    ASSERT_TRUE(stream_.open(std::move(mine_), out).ok());
  }
  void peerSends(const std::string& bytes) {
    ASSERT_EQ(::send(peer_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Everything the peer can read now; *eof tells whether it met the end.
  std::string peerReads(bool* eof = nullptr) {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::recv(peer_.get(), buf, sizeof buf, MSG_DONTWAIT)) > 0) {
      out.append(buf, static_cast<size_t>(n));
    }
    if (eof) *eof = n == 0;
    return out;
  }

  event::Loop loop_;
  LoopRunner runner_{loop_};
  Recorder recorder_;
  Stream stream_{loop_, &recorder_};
  Fd mine_, peer_;
};

TEST_F(StreamTest, ReadsNoMoreThanTheBuffersLimitAndGoesOnOnceThereIsRoom) {
  open();
  peerSends(std::string(10000, 'a'));
  Buffer in(4096);
  EXPECT_EQ(stream_.read(in), 4096u);
  EXPECT_TRUE(in.full());
  EXPECT_TRUE(stream_.readable()) << "stopped for room, not for want of bytes";
  EXPECT_EQ(stream_.read(in), 0u);  // still full
  in.consume(4096);
  EXPECT_EQ(stream_.read(in), 4096u);
  in.clear();
  EXPECT_EQ(stream_.read(in), 10000u - 8192u);
  EXPECT_FALSE(stream_.readable());
  EXPECT_FALSE(stream_.eof());
}

TEST_F(StreamTest, ANewEdgeMakesItReadableAgainAndEofIsSeen) {
  open();
  stream_.readToEofOnHangUp();  // as the proxy's VM side asks
  Buffer in(4096);
  peerSends("one");
  ASSERT_TRUE(runner_.runUntil([&] { return recorder_.calls > 0; }));
  EXPECT_EQ(stream_.read(in), 3u);
  EXPECT_FALSE(stream_.readable());
  peerSends("two");
  peer_.reset();
  ASSERT_TRUE(runner_.runUntil([&] { return stream_.readable(); }));
  EXPECT_TRUE(stream_.hungUp());
  EXPECT_EQ(stream_.read(in), 3u);
  EXPECT_TRUE(stream_.eof());
  EXPECT_EQ(in.view(), "onetwo");
}

TEST_F(StreamTest, AFullSocketBlocksTheFlushAndEpollOutResumesIt) {
  open(Stream::Out::kWhenBlocked);
  int small = 4096;
  ASSERT_EQ(::setsockopt(stream_.fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  std::string payload;
  for (int i = 0; payload.size() < 512 * 1024; ++i) payload += std::to_string(i) + ",";
  Buffer out(payload.size());
  ASSERT_EQ(out.append(payload), payload.size());
  size_t sent = 0;
  ASSERT_EQ(stream_.flush(out, &sent), Stream::Flush::kBlocked);
  EXPECT_GT(sent, 0u);
  EXPECT_EQ(sent + out.size(), payload.size()) << "the unsent bytes stay in the buffer";
  std::string received;
  Stream::Flush result = Stream::Flush::kBlocked;
  for (int rounds = 0; rounds < 10000 && result == Stream::Flush::kBlocked; ++rounds) {
    recorder_.seen = 0;
    received += peerReads();
    // Only an EPOLLOUT edge tells a kWhenBlocked stream that room came back.
    ASSERT_TRUE(runner_.runUntil([&] { return (recorder_.seen & EPOLLOUT) != 0; }));
    result = stream_.flush(out);
  }
  ASSERT_EQ(result, Stream::Flush::kDone);
  EXPECT_TRUE(out.empty());
  received += peerReads();
  EXPECT_EQ(received, payload);
}

TEST_F(StreamTest, AFlushToAPeerThatLeftFailsAndKeepsTheBytes) {
  open();
  peer_.reset();
  Buffer out;
  out.append("answer");
  size_t sent = 1;
  EXPECT_EQ(stream_.flush(out, &sent), Stream::Flush::kFailed);
  EXPECT_EQ(sent, 0u);
  EXPECT_EQ(out.view(), "answer");
}

TEST_F(StreamTest, FlushingAClosedStreamFails) {
  open();
  stream_.close();
  stream_.close();  // safe twice
  Buffer out;
  out.append("x");
  EXPECT_EQ(stream_.flush(out), Stream::Flush::kFailed);
  EXPECT_FALSE(stream_.isOpen());
}

// The lingering close: FIN after the last answer, then the peer's late bytes
// are read and dropped until it closes, so no unread input is left to turn
// the close into a reset.
TEST_F(StreamTest, LingeringCloseSendsFinAndDrainsUntilThePeerCloses) {
  open();
  Buffer out;
  out.append("last answer");
  ASSERT_EQ(stream_.flush(out), Stream::Flush::kDone);
  stream_.shutdownWrite();
  EXPECT_TRUE(stream_.wroteEof());
  bool eof = false;
  EXPECT_EQ(peerReads(&eof), "last answer");
  EXPECT_TRUE(eof) << "the peer sees the end of the answers";

  peerSends(std::string(50000, 'p'));  // a pipelined request nobody will answer
  ASSERT_TRUE(runner_.runUntil([&] { return stream_.readable(); }));
  EXPECT_FALSE(stream_.drainToEof()) << "the peer is still there";
  int unread = -1;
  ASSERT_EQ(::ioctl(stream_.fd(), FIONREAD, &unread), 0);
  EXPECT_EQ(unread, 0) << "late bytes are dropped, not left unread";

  peer_.reset();
  ASSERT_TRUE(runner_.runUntil([&] { return stream_.hungUp(); }));
  EXPECT_TRUE(stream_.drainToEof());
  EXPECT_TRUE(stream_.eof());
}

TEST_F(StreamTest, WakeRunsTheHandlerInThisLoopTurn) {
  open();
  stream_.wake();
  ASSERT_TRUE(runner_.runUntil([&] { return recorder_.calls > 0; }));
  EXPECT_NE(recorder_.seen & EPOLLIN, 0u);
}

}  // namespace
}  // namespace nsmp::net
