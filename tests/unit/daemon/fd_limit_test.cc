#include "daemon/fd_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace nsmp::daemon {
namespace {

class FdLimitTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved_), 0); }
  void TearDown() override { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  void setSoft(rlim_t soft) {
    rlimit rl = saved_;
    rl.rlim_cur = soft;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &rl), 0);
  }
  rlimit saved_{};
};

TEST_F(FdLimitTest, RaisesTheSoftLimitUpToWantedButNotBeyondTheHardLimit) {
  if (saved_.rlim_max != RLIM_INFINITY && saved_.rlim_max < 300) GTEST_SKIP() << "hard limit";
  setSoft(100);
  EXPECT_EQ(raiseFdLimit(200), 200u);
  EXPECT_EQ(raiseFdLimit(150), 200u);  // never lowered
  uint64_t hard = saved_.rlim_max == RLIM_INFINITY ? UINT64_MAX : saved_.rlim_max;
  if (hard != UINT64_MAX) {
    EXPECT_EQ(raiseFdLimit(UINT64_MAX), hard);
  }
}

TEST(FdsForTest, TwoPerConnectionAndSomeToSpare) { EXPECT_EQ(fdsFor(1024), 2112u); }

}  // namespace
}  // namespace nsmp::daemon
