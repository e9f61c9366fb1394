#include "metadata/ip.h"

#include <gtest/gtest.h>

namespace nsmp::metadata {
namespace {

TEST(Ip, ParsesAndCanonicalises) {
  const std::pair<const char*, const char*> cases[] = {
      {"192.0.2.10", "192.0.2.10"},
      {"2001:0db8:0::10", "2001:db8::10"},
      {"::ffff:192.0.2.10", "192.0.2.10"},  // IPv4-mapped becomes IPv4, as the agent does
      {"fe80::f816:3eff:fe00:1", "fe80::f816:3eff:fe00:1"},
  };
  for (const auto& [in, out] : cases) {
    auto ip = parseIp(in);
    ASSERT_TRUE(ip.has_value()) << in;
    EXPECT_EQ(ip->text(), out) << in;
  }
}

TEST(Ip, RejectsAnythingButOneAddress) {
  for (const char* bad :
       {"", " 192.0.2.10", "192.0.2.10 ", "192.0.2.10, 192.0.2.11", "192.0.2.300", "192.0.2",
        "[2001:db8::1]", "192.0.2.10:80", "fe80::1%eth0", "unknown", "2001:db8::1::2"}) {
    EXPECT_FALSE(parseIp(bad).has_value()) << '"' << bad << '"';
  }
  // A data file's "192.0.2.10\u0000x" is not the address 192.0.2.10.
  EXPECT_FALSE(parseIp(std::string("192.0.2.10\0x", 12)).has_value());
}

TEST(Ip, LinkLocalInterfaceIdFromMac) {
  auto mac = parseMac("fa:16:3e:00:00:01");
  ASSERT_TRUE(mac.has_value());
  EXPECT_TRUE(interfaceIdMatchesMac(*parseIp("fe80::f816:3eff:fe00:1"), *mac));
  EXPECT_FALSE(interfaceIdMatchesMac(*parseIp("fe80::f816:3eff:fe00:2"), *mac));
  EXPECT_FALSE(interfaceIdMatchesMac(*parseIp("192.0.2.1"), *mac));
  EXPECT_TRUE(parseIp("fe80::1")->isLinkLocalV6());
  EXPECT_FALSE(parseIp("2001:db8::1")->isLinkLocalV6());
}

TEST(Ip, MacSyntax) {
  EXPECT_TRUE(parseMac("FA:16:3E:00:00:01").has_value());
  for (const char* bad : {"fa:16:3e:00:00", "fa-16-3e-00-00-01", "fa:16:3e:00:00:0g", ""}) {
    EXPECT_FALSE(parseMac(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace nsmp::metadata
