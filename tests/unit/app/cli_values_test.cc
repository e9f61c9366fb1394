#include "app/cli_values.h"

#include <gtest/gtest.h>

namespace nsmp::app::cli {
namespace {

TEST(CliValuesTest, SecondsRoundToMilliseconds) {
  struct Case {
    const char* text;
    int64_t ms;
  } cases[] = {
      {"30", 30'000}, {"0.5", 500},      {".5", 500},
      {"5.", 5'000},  {"1.2345", 1'235}, {"1.2344", 1'234},
      {"0.0005", 1},  {"0.001", 1},      {"2147483.647", 2'147'483'647},
      {"007", 7'000},
  };
  for (const Case& c : cases) {
    std::string error;
    auto v = parseSeconds(c.text, &error);
    ASSERT_TRUE(v.has_value()) << c.text << ": " << error;
    EXPECT_EQ(v->count(), c.ms) << c.text;
  }
  for (const char* bad : {"", ".", "0", "0.0004", "1.2.3", "+1", "-1", "1s", " 1", "nan", "inf",
                          "2147483.648", "99999999999"}) {
    std::string error;
    EXPECT_FALSE(parseSeconds(bad, &error).has_value()) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(CliValuesTest, SizesTakeBinarySuffixes) {
  std::string error;
  EXPECT_EQ(parseSize("0", &error), 0u);
  EXPECT_EQ(parseSize("1048576", &error), 1048576u);
  EXPECT_EQ(parseSize("64k", &error), 65536u);
  EXPECT_EQ(parseSize("64K", &error), 65536u);
  EXPECT_EQ(parseSize("1m", &error), 1u << 20);
  EXPECT_EQ(parseSize("1G", &error), uint64_t{1} << 30);
  EXPECT_FALSE(parseSize("2G", &error).has_value());
  for (const char* bad : {"", "k", "1.5M", "-1", "1025G", "1099511627777", "12kb"}) {
    EXPECT_FALSE(parseSize(bad, &error).has_value()) << bad;
  }
}

TEST(CliValuesTest, PortBounds) {
  std::string error;
  EXPECT_EQ(parsePort("0", &error), 0);
  EXPECT_EQ(parsePort("65535", &error), 65535);
  for (const char* bad : {"", "65536", "99999999999999999999", "80x", " 80", "0x50"}) {
    EXPECT_FALSE(parsePort(bad, &error).has_value()) << bad;
  }
}

TEST(CliValuesTest, IdsAreSafeIds) {
  std::string error;
  EXPECT_TRUE(parseId("!", &error).has_value());
  EXPECT_TRUE(parseId("~", &error).has_value());
  EXPECT_TRUE(parseId(std::string(255, 'x'), &error).has_value());
  EXPECT_TRUE(parseId("6f6c3cab-7c6c-4ee8-a56e-4d6e5a4a0d1a", &error).has_value());
  for (const std::string& bad :
       {std::string(), std::string(256, 'x'), std::string("a b"), std::string("a\r\nX-Evil: 1"),
        std::string("a\x7f"), std::string("a\0b", 3), std::string("../../x"), std::string(".."),
        std::string("a/b"), std::string("%[src]")}) {
    EXPECT_FALSE(parseId(bad, &error).has_value()) << bad;
  }
}

TEST(CliValuesTest, HostsAndZones) {
  std::string zone, error;
  EXPECT_EQ(parseHost("0.0.0.0", &zone, &error), "0.0.0.0");
  EXPECT_EQ(parseHost("::", &zone, &error), "::");
  EXPECT_EQ(parseHost("[::ffff:1.2.3.4]", &zone, &error), "::ffff:1.2.3.4");
  EXPECT_EQ(zone, "");
  EXPECT_EQ(parseHost("fe80::a9fe:a9fe%qr-1", &zone, &error), "fe80::a9fe:a9fe");
  EXPECT_EQ(zone, "qr-1");
  for (const char* bad : {"", "[]", "host", "1.2.3", "::g", "[::1", "256.0.0.1"}) {
    EXPECT_FALSE(parseHost(bad, &zone, &error).has_value()) << bad;
  }
  EXPECT_TRUE(isIpv6LinkLocal("fe80::1"));
  EXPECT_TRUE(isIpv6LinkLocal("febf::1"));
  EXPECT_FALSE(isIpv6LinkLocal("fec0::1"));
  EXPECT_FALSE(isIpv6LinkLocal("::1"));
  EXPECT_FALSE(isIpv6LinkLocal("169.254.169.254"));
}

TEST(CliValuesTest, BooleansAndInterfaces) {
  std::string error;
  for (const char* yes : {"true", "TRUE", "yes", "on", "1"})
    EXPECT_EQ(parseBool(yes, &error), true);
  for (const char* no : {"false", "No", "off", "0"}) EXPECT_EQ(parseBool(no, &error), false);
  EXPECT_FALSE(parseBool("", &error).has_value());
  EXPECT_TRUE(parseInterface("123456789012345", &error).has_value());
  for (const char* bad : {"", "1234567890123456", ".", "..", "a b", "a/b", "a:b"}) {
    EXPECT_FALSE(parseInterface(bad, &error).has_value()) << bad;
  }
}

TEST(CliValuesTest, RelativePathsBecomeAbsolute) {
  std::string error;
  EXPECT_EQ(parsePath("/a/b", &error), "/a/b");
  auto rel = parsePath("a/b", &error);
  ASSERT_TRUE(rel.has_value());
  EXPECT_EQ(rel->front(), '/');
  EXPECT_TRUE(rel->ends_with("/a/b"));
  EXPECT_FALSE(parsePath("", &error).has_value());
}

}  // namespace
}  // namespace nsmp::app::cli
