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
    auto v = parseSeconds(c.text);
    ASSERT_TRUE(v.ok()) << c.text << ": " << v.status().message();
    EXPECT_EQ(v->count(), c.ms) << c.text;
  }
  for (const char* bad : {"", ".", "0", "0.0004", "1.2.3", "+1", "-1", "1s", " 1", "nan", "inf",
                          "2147483.648", "99999999999"}) {
    auto v = parseSeconds(bad);
    EXPECT_FALSE(v.ok()) << bad;
    EXPECT_FALSE(v.status().message().empty()) << bad;
  }
}

TEST(CliValuesTest, SizesTakeBinarySuffixes) {
  EXPECT_EQ(parseSize("0").value(), 0u);
  EXPECT_EQ(parseSize("1048576").value(), 1048576u);
  EXPECT_EQ(parseSize("64k").value(), 65536u);
  EXPECT_EQ(parseSize("64K").value(), 65536u);
  EXPECT_EQ(parseSize("1m").value(), 1u << 20);
  EXPECT_EQ(parseSize("1G").value(), uint64_t{1} << 30);
  EXPECT_FALSE(parseSize("2G").ok());
  for (const char* bad : {"", "k", "1.5M", "-1", "1025G", "1099511627777", "12kb"}) {
    EXPECT_FALSE(parseSize(bad).ok()) << bad;
  }
}

TEST(CliValuesTest, PortBounds) {
  EXPECT_EQ(parsePort("0").value(), 0);
  EXPECT_EQ(parsePort("65535").value(), 65535);
  for (const char* bad : {"", "65536", "99999999999999999999", "80x", " 80", "0x50"}) {
    EXPECT_FALSE(parsePort(bad).ok()) << bad;
  }
}

TEST(CliValuesTest, IdsAreSafeIds) {
  EXPECT_TRUE(parseId("!").ok());
  EXPECT_TRUE(parseId("~").ok());
  EXPECT_TRUE(parseId(std::string(255, 'x')).ok());
  EXPECT_TRUE(parseId("6f6c3cab-7c6c-4ee8-a56e-4d6e5a4a0d1a").ok());
  for (const std::string& bad :
       {std::string(), std::string(256, 'x'), std::string("a b"), std::string("a\r\nX-Evil: 1"),
        std::string("a\x7f"), std::string("a\0b", 3), std::string("../../x"), std::string(".."),
        std::string("a/b"), std::string("%[src]")}) {
    EXPECT_FALSE(parseId(bad).ok()) << bad;
  }
}

TEST(CliValuesTest, HostsAndZones) {
  EXPECT_EQ(parseHost("0.0.0.0").value().address, "0.0.0.0");
  EXPECT_EQ(parseHost("::").value().address, "::");
  EXPECT_EQ(parseHost("[::ffff:1.2.3.4]").value().address, "::ffff:1.2.3.4");
  EXPECT_EQ(parseHost("[::ffff:1.2.3.4]").value().zone, "");
  EXPECT_EQ(parseHost("fe80::a9fe:a9fe%qr-1").value().address, "fe80::a9fe:a9fe");
  EXPECT_EQ(parseHost("fe80::a9fe:a9fe%qr-1").value().zone, "qr-1");
  for (const char* bad : {"", "[]", "host", "1.2.3", "::g", "[::1", "256.0.0.1", "1.2.3.4%eth0"}) {
    EXPECT_FALSE(parseHost(bad).ok()) << bad;
  }
  EXPECT_TRUE(isIpv6LinkLocal("fe80::1"));
  EXPECT_TRUE(isIpv6LinkLocal("febf::1"));
  EXPECT_FALSE(isIpv6LinkLocal("fec0::1"));
  EXPECT_FALSE(isIpv6LinkLocal("::1"));
  EXPECT_FALSE(isIpv6LinkLocal("169.254.169.254"));
}

TEST(CliValuesTest, BooleansAndInterfaces) {
  for (const char* yes : {"true", "TRUE", "yes", "on", "1"})
    EXPECT_EQ(parseBool(yes).value(), true);
  for (const char* no : {"false", "No", "off", "0"}) EXPECT_EQ(parseBool(no).value(), false);
  EXPECT_FALSE(parseBool("").ok());
  EXPECT_TRUE(parseInterface("123456789012345").ok());
  for (const char* bad : {"", "1234567890123456", ".", "..", "a b", "a/b", "a:b"}) {
    EXPECT_FALSE(parseInterface(bad).ok()) << bad;
  }
}

TEST(CliValuesTest, RelativePathsBecomeAbsolute) {
  EXPECT_EQ(parsePath("/a/b").value(), "/a/b");
  auto rel = parsePath("a/b");
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->front(), '/');
  EXPECT_TRUE(rel->ends_with("/a/b"));
  EXPECT_FALSE(parsePath("").ok());
}

}  // namespace
}  // namespace nsmp::app::cli
