#include "daemon/notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "net/fd.h"

namespace nsmp::daemon {
namespace {

// Sets the notify variables for one test and restores the process's afterwards.
class NotifyTest : public ::testing::Test {
 protected:
  static constexpr const char* kVars[] = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"};
  void SetUp() override {
    for (const char* v : kVars) {
      const char* value = std::getenv(v);
      saved_.push_back(value ? std::optional<std::string>(value) : std::nullopt);
      ::unsetenv(v);
    }
  }
  void TearDown() override {
    for (size_t i = 0; i < saved_.size(); ++i) {
      if (saved_[i]) {
        ::setenv(kVars[i], saved_[i]->c_str(), 1);
      } else {
        ::unsetenv(kVars[i]);
      }
    }
  }
  static void set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

  // A datagram socket bound to an abstract name; returns its NOTIFY_SOCKET form.
  std::string bindAbstract() {
    receiver_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    std::string name = "nsmp-notify-test-" + std::to_string(::getpid());
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::copy(name.begin(), name.end(), sun.sun_path + 1);
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    EXPECT_EQ(::bind(receiver_.get(), reinterpret_cast<sockaddr*>(&sun), len), 0);
    return "@" + name;
  }
  std::string receive() {
    char buf[256];
    ssize_t n = ::recv(receiver_.get(), buf, sizeof buf, MSG_DONTWAIT);
    return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<size_t>(n));
  }

  std::vector<std::optional<std::string>> saved_;
  net::Fd receiver_;
};

TEST_F(NotifyTest, WithoutNotifySocketNothingIsSentAndNoWatchdog) {
  set("WATCHDOG_USEC", "1000000");
  Notifier n = Notifier::fromEnvironment();
  EXPECT_FALSE(n.enabled());
  EXPECT_FALSE(n.send("READY=1"));
  EXPECT_FALSE(n.watchdogInterval().has_value());
}

TEST_F(NotifyTest, OnlyAbsolutePathsAndAbstractNamesAreAddresses) {
  for (const char* bad : {"", "relative/notify", "@", "/"}) {
    set("NOTIFY_SOCKET", bad);
    EXPECT_FALSE(Notifier::fromEnvironment().enabled()) << bad;
  }
  set("NOTIFY_SOCKET", "/run/systemd/notify");
  EXPECT_TRUE(Notifier::fromEnvironment().enabled());
}

TEST_F(NotifyTest, SendsToAnAbstractNameExactly) {
  set("NOTIFY_SOCKET", bindAbstract());
  Notifier n = Notifier::fromEnvironment();
  n.ready();
  EXPECT_EQ(receive(), "READY=1");  // the process that read the environment: no MAINPID
  n.stopping();
  EXPECT_EQ(receive(), "STOPPING=1");
  n.watchdog();
  EXPECT_EQ(receive(), "WATCHDOG=1");
}

TEST_F(NotifyTest, WatchdogIntervalIsHalfTheTimeoutForThisProcess) {
  set("NOTIFY_SOCKET", "/run/systemd/notify");
  struct Case {
    const char* usec;
    std::optional<std::string> pid;  // nullopt: WATCHDOG_PID unset
    std::optional<int64_t> ms;
  };
  const std::string self = std::to_string(::getpid());
  const std::string other = std::to_string(::getpid() + 1);
  const Case cases[] = {
      {"30000000", std::nullopt, 15000},   {"30000000", self, 15000},
      {"30000000", other, std::nullopt},                            // meant for another process
      {"0", std::nullopt, std::nullopt},   {"1", std::nullopt, 1},  // never a zero interval
      {"abc", std::nullopt, std::nullopt}, {"-5", std::nullopt, std::nullopt},
      {"100000", std::string("x"), 50},  // an unreadable pid is no pid
  };
  for (const Case& c : cases) {
    set("WATCHDOG_USEC", c.usec);
    if (c.pid) {
      set("WATCHDOG_PID", *c.pid);
    } else {
      ::unsetenv("WATCHDOG_PID");
    }
    auto interval = Notifier::fromEnvironment().watchdogInterval();
    ASSERT_EQ(interval.has_value(), c.ms.has_value()) << c.usec << " pid " << c.pid.value_or("-");
    if (c.ms) {
      EXPECT_EQ(interval->count(), *c.ms) << c.usec;
    }
  }
}

}  // namespace
}  // namespace nsmp::daemon
