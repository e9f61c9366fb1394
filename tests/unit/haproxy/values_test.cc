#include "haproxy/values.h"

#include <gtest/gtest.h>

namespace nsmp::haproxy {
namespace {

using proxy::Millis;

TEST(ParseDuration, UnitsAsHaproxyReadsThem) {
  struct Case {
    const char* text;
    int64_t ms;
  } cases[] = {{"30s", 30'000},   {"500ms", 500},     {"250", 250},  {"2m", 120'000},
               {"1h", 3'600'000}, {"1d", 86'400'000}, {"1500us", 2}, {"1us", 1}};
  for (const Case& c : cases) {
    auto d = parseDuration(c.text);
    ASSERT_TRUE(d.ok()) << c.text;
    EXPECT_EQ(d->count(), c.ms) << c.text;
  }
}

TEST(ParseDuration, RefusesWhatIsNotATime) {
  for (const char* text :
       {"", "s", "-1s", "+1s", "1.5s", "10 s", "10sec", "0", "0s", "99999999d"}) {
    EXPECT_FALSE(parseDuration(text).ok()) << text;
  }
}

TEST(ParseSize, Suffixes) {
  EXPECT_EQ(*parseSize("10k"), 10'240u);
  EXPECT_EQ(*parseSize("1m"), 1'048'576u);
  EXPECT_EQ(*parseSize("100"), 100u);
  EXPECT_FALSE(parseSize("10x").ok());
  EXPECT_FALSE(parseSize("k").ok());
  EXPECT_FALSE(parseSize("5g").ok());  // larger than the engine's 32-bit table size
}

TEST(ParseBindAddress, EveryShapeNeutronWrote) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  } cases[] = {
      {"0.0.0.0:9697", "0.0.0.0", 9697},
      {"169.254.169.254:80", "169.254.169.254", 80},
      {":::9697", "::", 9697},                        // L3 agent, bind_address '::'
      {"fe80::a9fe:a9fe:80", "fe80::a9fe:a9fe", 80},  // before 2026-07: no brackets
      {"[fe80::a9fe:a9fe]:80", "fe80::a9fe:a9fe", 80},
      {":80", "0.0.0.0", 80},
      {"*:80", "0.0.0.0", 80},
      {"127.0.0.1:0", "127.0.0.1", 0},
  };
  for (const Case& c : cases) {
    auto b = parseBindAddress(c.text);
    ASSERT_TRUE(b.ok()) << c.text << ": " << b.status().message();
    EXPECT_EQ(b->host, c.host) << c.text;
    EXPECT_EQ(b->port, c.port) << c.text;
    EXPECT_EQ(b->interface, "") << c.text;
  }
}

TEST(ParseBindAddress, RefusesShapesTheEngineCannotServe) {
  for (const char* text :
       {"0.0.0.0", "localhost:80", "1.2.3.4:80-90", "1.2.3.4:80,1.2.3.5:80", "ipv4@1.2.3.4:80",
        "1.2.3.4:65536", "[1.2.3.4]:80", "[fe80::1:80", "unix@/tmp/s"}) {
    EXPECT_FALSE(parseBindAddress(text).ok()) << text;
  }
}

TEST(ParseUnixServerAddress, PathsOnly) {
  EXPECT_EQ(*parseUnixServerAddress("/var/lib/neutron/metadata_proxy"),
            "/var/lib/neutron/metadata_proxy");
  EXPECT_EQ(*parseUnixServerAddress("unix@/run/m.sock"), "/run/m.sock");
  EXPECT_FALSE(parseUnixServerAddress("127.0.0.1:8775").ok());
  EXPECT_FALSE(parseUnixServerAddress("relative/sock").ok());
}

}  // namespace
}  // namespace nsmp::haproxy
