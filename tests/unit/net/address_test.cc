#include "net/address.h"

#include <gtest/gtest.h>

#include <string>

namespace nsmp::net {
namespace {

TEST(ParseIp, ReadsOneAddressOfEitherFamily) {
  const std::pair<const char*, const char*> cases[] = {
      {"192.0.2.10", "192.0.2.10"},
      {"0.0.0.0", "0.0.0.0"},
      {"2001:0db8:0::10", "2001:db8::10"},
      {"::", "::"},
      {"fe80::a9fe:a9fe", "fe80::a9fe:a9fe"},
      {"::ffff:192.0.2.10", "::ffff:192.0.2.10"},  // kept as written; unmapped() maps it
      {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},  // the longest literal, 45 characters
  };
  for (const auto& [in, out] : cases) {
    auto ip = parseIp(in);
    ASSERT_TRUE(ip.has_value()) << in;
    EXPECT_EQ(ip->text(), out) << in;
  }
  EXPECT_FALSE(parseIp("192.0.2.10")->v6());
  EXPECT_TRUE(parseIp("2001:db8::1")->v6());
}

TEST(ParseIp, RefusesAnythingAroundTheAddress) {
  for (const std::string& bad :
       {std::string(), std::string(" 192.0.2.10"), std::string("192.0.2.10 "),
        std::string("192.0.2.300"), std::string("192.0.2"), std::string("[2001:db8::1]"),
        std::string("192.0.2.10:80"), std::string("fe80::1%eth0"), std::string("host"),
        std::string("2001:db8::1::2"), std::string(64, '1'),
        // inet_pton stops at a NUL: the bytes after it must not be ignored.
        std::string("192.0.2.10\0junk", 15), std::string("::1\0", 4)}) {
    EXPECT_FALSE(parseIp(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(ParseIp, UnmappedTurnsMappedIpv6IntoIpv4) {
  EXPECT_EQ(parseIp("::ffff:192.0.2.10")->unmapped(), *parseIp("192.0.2.10"));
  EXPECT_EQ(parseIp("2001:db8::1")->unmapped(), *parseIp("2001:db8::1"));
  EXPECT_TRUE(parseIp("::192.0.2.10")->unmapped().v6());  // IPv4-compatible, not mapped
}

TEST(ParseIp, LinkLocalIsFe80Slash10) {
  EXPECT_TRUE(parseIp("fe80::1")->isLinkLocalV6());
  EXPECT_TRUE(parseIp("febf::1")->isLinkLocalV6());
  EXPECT_FALSE(parseIp("fec0::1")->isLinkLocalV6());
  EXPECT_FALSE(parseIp("::1")->isLinkLocalV6());
  EXPECT_FALSE(parseIp("169.254.169.254")->isLinkLocalV6());
}

TEST(SplitHost, RemovesBracketsAndSplitsTheZone) {
  HostText h = splitHost("[fe80::1%eth0]");
  EXPECT_EQ(h.address, "fe80::1");
  EXPECT_EQ(h.zone, "eth0");
  EXPECT_TRUE(h.bracketed);
  h = splitHost("192.0.2.1");
  EXPECT_EQ(h.address, "192.0.2.1");
  EXPECT_EQ(h.zone, "");
  EXPECT_FALSE(h.bracketed);
  h = splitHost("fe80::1%qr-1");
  EXPECT_EQ(h.address, "fe80::1");
  EXPECT_EQ(h.zone, "qr-1");
  EXPECT_EQ(splitHost("[::1").address, "[::1");  // unbalanced: left for the parser to refuse
}

TEST(MakeSockaddr, TakesWhatParseIpTakesWithBrackets) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  ASSERT_TRUE(makeSockaddr("192.0.2.1", 80, "", &ss, &len).ok());
  EXPECT_EQ(ss.ss_family, AF_INET);
  EXPECT_EQ(len, sizeof(sockaddr_in));
  ASSERT_TRUE(makeSockaddr("[2001:db8::1]", 80, "", &ss, &len).ok());
  EXPECT_EQ(ss.ss_family, AF_INET6);
  EXPECT_EQ(len, sizeof(sockaddr_in6));
  EXPECT_EQ(PeerAddress::from(ss).ipPort(), "[2001:db8::1]:80");
  Status bad = makeSockaddr(std::string("192.0.2.1\0x", 11), 80, "", &ss, &len);
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_EQ(makeSockaddr("fe80::1", 80, "nsmp-no-such-if0", &ss, &len).code(), Code::kNotFound);
}

}  // namespace
}  // namespace nsmp::net
