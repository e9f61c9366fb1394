#include "daemon/syslog_facility.h"

#include <gtest/gtest.h>
#include <syslog.h>

namespace nsmp::daemon {
namespace {

TEST(SyslogFacilityTest, AcceptsOsloSpellings) {
  EXPECT_EQ(syslogFacility("LOG_USER"), LOG_USER);
  EXPECT_EQ(syslogFacility("user"), LOG_USER);
  EXPECT_EQ(syslogFacility("log_local0"), LOG_LOCAL0);
  EXPECT_EQ(syslogFacility("LOCAL7"), LOG_LOCAL7);
  EXPECT_EQ(syslogFacility("daemon"), LOG_DAEMON);
  EXPECT_EQ(syslogFacility("authpriv"), LOG_AUTHPRIV);
  for (const char* bad : {"", "LOG_", "local8", "LOG_LOG_USER", "users"}) {
    EXPECT_FALSE(syslogFacility(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace nsmp::daemon
