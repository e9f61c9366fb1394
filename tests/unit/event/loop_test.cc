#include "event/loop.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace nsmp::event {
namespace {

// Records the order timers fire in; stops the loop after `expected` firings.
struct Recorder final : TimerHandler {
  Loop& loop;
  std::vector<int> fired;
  size_t expected;
  std::vector<Timer*> timers;
  Recorder(Loop& l, size_t n) : loop(l), expected(n) {}
  void onTimer(Timer& t) override {
    for (size_t i = 0; i < timers.size(); ++i) {
      if (timers[i] == &t) fired.push_back(static_cast<int>(i));
    }
    if (fired.size() == expected) loop.stop();
  }
};

TEST(LoopTest, TimersFireInDeadlineOrderAcrossDurations) {
  Loop loop;
  ASSERT_TRUE(loop.init().ok());
  Recorder rec(loop, 3);
  Timer a(loop, &rec), b(loop, &rec), c(loop, &rec);
  rec.timers = {&a, &b, &c};
  a.arm(Millis(30));
  b.arm(Millis(10));
  c.arm(Millis(20));
  loop.run();
  EXPECT_EQ(rec.fired, (std::vector<int>{1, 2, 0}));
}

TEST(LoopTest, RearmingMovesATimerAndCancelStopsIt) {
  Loop loop;
  ASSERT_TRUE(loop.init().ok());
  Recorder rec(loop, 2);
  Timer a(loop, &rec), b(loop, &rec), c(loop, &rec);
  rec.timers = {&a, &b, &c};
  a.arm(Millis(5));
  b.arm(Millis(5));
  c.arm(Millis(5));
  a.arm(Millis(5));  // re-armed: now after b and c in the same list
  b.cancel();
  EXPECT_FALSE(b.armed());
  loop.run();
  EXPECT_EQ(rec.fired, (std::vector<int>{2, 0}));
}

struct Reader final : IoHandler {
  Loop& loop;
  std::string got;
  explicit Reader(Loop& l) : loop(l) {}
  void onIo(Watcher& w, uint32_t) override {
    char buf[64];
    ssize_t n;
    while ((n = ::read(w.fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    if (got == "ping") loop.stop();
  }
};

TEST(LoopTest, DeliversReadinessToTheWatcher) {
  Loop loop;
  ASSERT_TRUE(loop.init().ok());
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  Reader reader(loop);
  Watcher w{sv[0], &reader};
  ASSERT_TRUE(loop.add(w, EPOLLIN).ok());
  ASSERT_EQ(::write(sv[1], "ping", 4), 4);
  loop.run();
  EXPECT_EQ(reader.got, "ping");
  ::close(sv[0]);
  ::close(sv[1]);
}

}  // namespace
}  // namespace nsmp::event
