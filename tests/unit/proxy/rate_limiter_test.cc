#include "proxy/rate_limiter.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>

namespace nsmp::proxy {
namespace {

using std::chrono::milliseconds;

net::PeerAddress ipv4(const char* text) {
  net::PeerAddress p;
  p.family = AF_INET;
  inet_pton(AF_INET, text, p.bytes);
  return p;
}

RateLimit limits(uint32_t base, uint32_t burst, uint32_t table = 100) {
  RateLimit r;
  r.enabled = true;
  r.base_window = milliseconds(10'000);
  r.base_limit = base;
  r.burst_window = milliseconds(1'000);
  r.burst_limit = burst;
  r.table_size = table;
  r.expire = milliseconds(10'000);
  return r;
}

class RateLimiterTest : public ::testing::Test {
 protected:
  event::TimePoint t0 = event::Clock::now();
  event::TimePoint at(int ms) { return t0 + milliseconds(ms); }
};

TEST_F(RateLimiterTest, AllowsUpToTheLimitThenRefuses) {
  RateLimiter rl(limits(10, 100));
  auto vm = ipv4("192.0.2.5");
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(rl.overLimit(vm, at(i))) << "request " << i + 1;
  EXPECT_TRUE(rl.overLimit(vm, at(11)));
}

TEST_F(RateLimiterTest, BurstWindowRefusesAFastBurst) {
  RateLimiter rl(limits(100, 3));
  auto vm = ipv4("192.0.2.5");
  EXPECT_FALSE(rl.overLimit(vm, at(0)));
  EXPECT_FALSE(rl.overLimit(vm, at(1)));
  EXPECT_FALSE(rl.overLimit(vm, at(2)));
  EXPECT_TRUE(rl.overLimit(vm, at(3)));
  // Two burst periods later the burst window has forgotten it.
  EXPECT_FALSE(rl.overLimit(vm, at(2'100)));
}

TEST_F(RateLimiterTest, AddressesAreCountedSeparately) {
  RateLimiter rl(limits(1, 100));
  EXPECT_FALSE(rl.overLimit(ipv4("192.0.2.5"), at(0)));
  EXPECT_TRUE(rl.overLimit(ipv4("192.0.2.5"), at(1)));
  EXPECT_FALSE(rl.overLimit(ipv4("192.0.2.6"), at(2)));
}

TEST_F(RateLimiterTest, PreviousPeriodWeighsLessAsTheCurrentOneAdvances) {
  RateLimiter rl(limits(100, 4));
  auto vm = ipv4("192.0.2.5");
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(rl.overLimit(vm, at(i)));
  // At 1.1 s: 4 previous * 0.9 + 1 = 4.6 > 4.
  EXPECT_TRUE(rl.overLimit(vm, at(1'100)));
  // At 1.95 s: 4 * 0.05 + 2 = 2.2 <= 4.
  EXPECT_FALSE(rl.overLimit(vm, at(1'950)));
}

TEST_F(RateLimiterTest, TableIsBoundedAndEntriesExpire) {
  RateLimiter rl(limits(1, 100, /*table=*/3));
  char ip[32];
  for (int i = 0; i < 10; ++i) {
    std::snprintf(ip, sizeof ip, "192.0.2.%d", i);
    rl.overLimit(ipv4(ip), at(i));
    EXPECT_LE(rl.size(), 3u);
  }
  // The least recently seen was evicted: 192.0.2.0 starts afresh.
  EXPECT_FALSE(rl.overLimit(ipv4("192.0.2.0"), at(20)));
  // After `expire` of silence every entry is gone.
  rl.overLimit(ipv4("198.51.100.1"), at(30'000));
  EXPECT_EQ(rl.size(), 1u);
}

}  // namespace
}  // namespace nsmp::proxy
