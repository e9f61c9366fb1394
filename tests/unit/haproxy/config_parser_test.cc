// Every configuration shape Neutron and OVN generated parses to the
// configuration the engine must run with.
#include "haproxy/config_parser.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace nsmp::haproxy {
namespace {

using proxy::IdentityKind;
using proxy::Millis;
using testing::readFixture;

constexpr const char* kNetwork = "9f2c1f39-6d7e-4ac1-8c4f-1b4c62f2a0d1";
constexpr const char* kRouter = "5b6c2a4e-0f1d-4d8e-9a37-2c1e7f3b9d40";
constexpr const char* kOvn = "3c0e8a8b-27d4-4f4e-b1d5-1e5d0f6a7c22";

HaproxyConfig parseFixture(const std::string& name) {
  std::string text = readFixture(name);
  EXPECT_FALSE(text.empty()) << name;
  auto parsed = parseHaproxyConfig(text);
  EXPECT_TRUE(parsed.ok()) << name << ": " << (parsed.ok() ? "" : parsed.status().message());
  return parsed.ok() ? *parsed : HaproxyConfig{};
}

void expectNeutronDefaults(const proxy::ListenerConfig& l) {
  EXPECT_EQ(l.timeouts.http_request, Millis(30'000));
  EXPECT_EQ(l.timeouts.connect, Millis(30'000));
  EXPECT_EQ(l.timeouts.client, Millis(32'000));
  EXPECT_EQ(l.timeouts.server, Millis(32'000));
  EXPECT_EQ(l.timeouts.http_keep_alive, Millis(30'000));
  EXPECT_EQ(l.maxconn, 1024u);
  EXPECT_EQ(l.connect_attempts, 3u);  // Neutron's "retries 3": 3 attempts (issue 2)
  EXPECT_EQ(l.upstream_socket, "/var/lib/neutron/metadata_proxy");
}

TEST(ParseHaproxyConfig, Seed2017BothIdsNetworkWins) {
  HaproxyConfig c = parseFixture("2017-seed-both-ids.cfg");
  EXPECT_EQ(c.listener.identity.kind, IdentityKind::kNetwork);
  EXPECT_EQ(c.listener.identity.value, kNetwork);
  EXPECT_EQ(c.listener.uuid, kNetwork);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].rfind("line 23: both X-Neutron-Network-ID and X-Neutron-Router-ID", 0),
            0u)
      << c.warnings[0];
  ASSERT_EQ(c.listener.binds.size(), 1u);
  EXPECT_EQ(c.listener.binds[0].host, "0.0.0.0");
  EXPECT_EQ(c.listener.binds[0].port, 9697);
  expectNeutronDefaults(c.listener);
  EXPECT_FALSE(c.process.daemonize);  // no `daemon`: haproxy stays in the foreground
  EXPECT_EQ(c.process.pid_file, "");
  EXPECT_EQ(c.process.log_target, daemon::LogTarget::kStderr);  // no log line
  EXPECT_EQ(c.process.user, "neutron");
  EXPECT_EQ(c.process.group, "neutron");
  EXPECT_FALSE(c.listener.rate_limit.enabled);
}

TEST(ParseHaproxyConfig, Driver2017AddHeaderRouter) {
  HaproxyConfig c = parseFixture("2017-driver-router.cfg");
  EXPECT_EQ(c.listener.identity.kind, IdentityKind::kRouter);
  EXPECT_EQ(c.listener.identity.value, kRouter);
  EXPECT_EQ(c.listener.uuid, kRouter);
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_TRUE(c.process.daemonize);
  EXPECT_EQ(c.process.pid_file,
            std::string("/var/lib/neutron/external/pids/") + kRouter + ".pid.haproxy");
  EXPECT_EQ(c.process.log_target, daemon::LogTarget::kSyslog);
  EXPECT_EQ(c.process.log_tag, "haproxy");  // haproxy's default without log-tag
  EXPECT_EQ(c.process.syslog_facility, "local0");
  EXPECT_FALSE(c.process.debug);
  expectNeutronDefaults(c.listener);
}

TEST(ParseHaproxyConfig, LogTag2018AndDebugLevel) {
  HaproxyConfig c = parseFixture("2018-log-tag-network.cfg");
  EXPECT_EQ(c.process.log_tag, std::string("haproxy-metadata-proxy-") + kNetwork);
  EXPECT_TRUE(c.process.debug);
  EXPECT_EQ(c.listener.identity.kind, IdentityKind::kNetwork);
  ASSERT_EQ(c.listener.binds.size(), 1u);
  EXPECT_EQ(c.listener.binds[0].host, "169.254.169.254");
  EXPECT_EQ(c.listener.binds[0].port, 80);
}

TEST(ParseHaproxyConfig, DelSet2020RouterOnAllIpv6Addresses) {
  HaproxyConfig c = parseFixture("2020-del-set-router.cfg");
  EXPECT_EQ(c.listener.identity.kind, IdentityKind::kRouter);
  EXPECT_EQ(c.listener.identity.value, kRouter);
  ASSERT_EQ(c.listener.binds.size(), 1u);
  EXPECT_EQ(c.listener.binds[0].host, "::");
  EXPECT_EQ(c.listener.binds[0].port, 9697);
  expectNeutronDefaults(c.listener);
}

TEST(ParseHaproxyConfig, DhcpIpv6BindWithoutBrackets) {
  HaproxyConfig c = parseFixture("2020-dhcp-ipv6-no-brackets.cfg");
  ASSERT_EQ(c.listener.binds.size(), 2u);
  EXPECT_EQ(c.listener.binds[0].host, "169.254.169.254");
  EXPECT_EQ(c.listener.binds[0].interface, "");
  EXPECT_EQ(c.listener.binds[1].host, "fe80::a9fe:a9fe");
  EXPECT_EQ(c.listener.binds[1].port, 80);
  EXPECT_EQ(c.listener.binds[1].interface, "tap1234abcd-ef");
  EXPECT_EQ(c.listener.identity.kind, IdentityKind::kNetwork);
}

TEST(ParseHaproxyConfig, Current2026BracketsNbthreadTimeouts) {
  HaproxyConfig c = parseFixture("2026-current-ipv6-brackets.cfg");
  EXPECT_EQ(c.nbthread, 2u);
  ASSERT_EQ(c.listener.binds.size(), 2u);
  EXPECT_EQ(c.listener.binds[1].host, "fe80::a9fe:a9fe");
  EXPECT_EQ(c.listener.binds[1].interface, "tap1234abcd-ef");
  EXPECT_EQ(c.listener.timeouts.http_request, Millis(20'000));
  EXPECT_EQ(c.listener.timeouts.connect, Millis(5'000));
  EXPECT_EQ(c.listener.timeouts.client, Millis(60'000));
  EXPECT_EQ(c.listener.timeouts.server, Millis(120'000));
  EXPECT_EQ(c.listener.timeouts.http_keep_alive, Millis(15'000));
}

TEST(ParseHaproxyConfig, RateLimitedMapsTablesToWindows) {
  HaproxyConfig c = parseFixture("2023-rate-limited-router.cfg");
  const proxy::RateLimit& r = c.listener.rate_limit;
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.base_window, Millis(10'000));
  EXPECT_EQ(r.base_limit, 10u);
  EXPECT_EQ(r.burst_window, Millis(2'000));
  EXPECT_EQ(r.burst_limit, 5u);
  EXPECT_EQ(r.table_size, 10'240u);
  EXPECT_EQ(r.expire, Millis(10'000));
  EXPECT_EQ(c.listener.identity.kind, IdentityKind::kRouter);
}

TEST(ParseHaproxyConfig, OvnAddHeaderBecomesTheOvnIdentity) {
  HaproxyConfig c = parseFixture("ovn-add-header.cfg");
  EXPECT_EQ(c.listener.identity.kind, IdentityKind::kOvnNetwork);
  EXPECT_EQ(c.listener.identity.value, kOvn);
  EXPECT_EQ(c.listener.uuid, kOvn);
  EXPECT_EQ(c.process.user, "root");
  ASSERT_EQ(c.listener.binds.size(), 2u);
  EXPECT_EQ(c.listener.binds[1].interface, "tap3c0e8a8b-20");
}

TEST(ParseHaproxyConfig, OvnRateLimitedIpv6) {
  HaproxyConfig c = parseFixture("ovn-rate-limited-ipv6.cfg");
  const proxy::RateLimit& r = c.listener.rate_limit;
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.base_window, Millis(60'000));
  EXPECT_EQ(r.base_limit, 100u);
  EXPECT_EQ(r.burst_window, Millis(5'000));
  EXPECT_EQ(r.burst_limit, 20u);
  EXPECT_EQ(r.expire, Millis(60'000));
}

TEST(ParseHaproxyConfig, MappingFollowsTableNamesNotBackendOrder) {
  // The burst table is declared first and the deny rules name the tables;
  // the first deny rule is the base window whatever the declaration order.
  const char* text = R"(
backend slow
    stick-table type ip size 1k expire 30s store http_req_rate(30s)
backend fast
    stick-table type ip size 2k expire 30s store http_req_rate(1s)
listen listener
    bind 127.0.0.1:9697
    http-request track-sc0 src table fast
    http-request track-sc1 src table slow
    http-request deny deny_status 429 if { src_http_req_rate(slow) gt 50 }
    http-request deny deny_status 429 if { src_http_req_rate(fast) ge 3 }
    server metadata /run/m.sock
    http-request set-header X-Neutron-Network-ID n1
)";
  auto c = parseHaproxyConfig(text);
  ASSERT_TRUE(c.ok()) << c.status().message();
  const proxy::RateLimit& r = c->listener.rate_limit;
  EXPECT_EQ(r.base_window, Millis(30'000));
  EXPECT_EQ(r.base_limit, 50u);
  EXPECT_EQ(r.burst_window, Millis(1'000));
  EXPECT_EQ(r.burst_limit, 2u);  // "ge 3": the third request in the window is refused
  EXPECT_EQ(r.table_size, 2048u);
}

TEST(ParseHaproxyConfig, OneDenyRuleLimitsBothWindowsAlike) {
  const char* text = R"(
backend t
    stick-table type ip size 100 store http_req_rate(7s)
listen listener
    bind 127.0.0.1:9697
    http-request track-sc0 src table t
    http-request deny deny_status 429 if { src_http_req_rate(t) gt 4 }
    server metadata /run/m.sock
    http-request set-header X-Neutron-Router-ID r1
)";
  auto c = parseHaproxyConfig(text);
  ASSERT_TRUE(c.ok()) << c.status().message();
  const proxy::RateLimit& r = c->listener.rate_limit;
  EXPECT_EQ(r.base_window, Millis(7'000));
  EXPECT_EQ(r.burst_window, Millis(7'000));
  EXPECT_EQ(r.base_limit, 4u);
  EXPECT_EQ(r.burst_limit, 4u);
  EXPECT_EQ(r.expire, Millis(7'000));  // no expire given: the window bounds the memory
  EXPECT_EQ(r.table_size, 100u);
}

TEST(ParseHaproxyConfig, MinimalConfigKeepsEngineDefaults) {
  auto c = parseHaproxyConfig(
      "listen l\n bind 127.0.0.1:9697\n server s /run/m.sock\n"
      " http-request set-header X-Neutron-Network-ID n1\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  proxy::ListenerConfig defaults;
  EXPECT_EQ(c->listener.timeouts.client, defaults.timeouts.client);
  EXPECT_EQ(c->listener.connect_attempts, defaults.connect_attempts);
  EXPECT_EQ(c->listener.maxconn, defaults.maxconn);
  EXPECT_EQ(c->process.state_path, daemon::ProcessConfig{}.state_path);
}

TEST(ParseHaproxyConfig, TimeoutsWithUnitsAndBareMilliseconds) {
  auto c = parseHaproxyConfig(
      "defaults\n timeout client 1500\n timeout server 2m\n timeout connect 1h\n"
      " timeout http-request 500ms\n timeout http-keep-alive 1d\n retries 0\n maxconn 10\n"
      "listen l\n bind 127.0.0.1:9697\n server s /run/m.sock\n timeout server 3s\n"
      " http-request set-header X-Neutron-Network-ID n1\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const proxy::Timeouts& t = c->listener.timeouts;
  EXPECT_EQ(t.client, Millis(1'500));
  EXPECT_EQ(t.server, Millis(3'000));  // the listener's own line wins, as in haproxy
  EXPECT_EQ(t.connect, Millis(3'600'000));
  EXPECT_EQ(t.http_request, Millis(500));
  EXPECT_EQ(t.http_keep_alive, Millis(86'400'000));
  EXPECT_EQ(c->listener.connect_attempts, 1u);
  EXPECT_EQ(c->listener.maxconn, 10u);
}

TEST(ParseHaproxyConfig, ServerKeepAliveFollowsTheLastConnectionOption) {
  const std::string listen =
      "listen l\n bind 127.0.0.1:9697\n server s /run/m.sock\n"
      " http-request set-header X-Neutron-Network-ID n1\n";
  auto closing = parseHaproxyConfig("defaults\n option http-server-close\n" + listen);
  ASSERT_TRUE(closing.ok()) << closing.status().message();
  EXPECT_EQ(closing->listener.upstream_keepalive, 0u);
  auto keeping = parseHaproxyConfig("defaults\n option http-keep-alive\n" + listen);
  ASSERT_TRUE(keeping.ok()) << keeping.status().message();
  EXPECT_GT(keeping->listener.upstream_keepalive, 0u);
  auto both =
      parseHaproxyConfig("defaults\n option http-keep-alive\n option http-server-close\n" + listen);
  ASSERT_TRUE(both.ok()) << both.status().message();
  EXPECT_EQ(both->listener.upstream_keepalive, 0u);
  auto none = parseHaproxyConfig(listen);
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_EQ(none->listener.upstream_keepalive, 0u);
}

TEST(ParseHaproxyConfig, DelHeaderOfStrippedHeadersIsAccepted) {
  auto c = parseHaproxyConfig(
      "listen l\n bind 127.0.0.1:9697\n server s /run/m.sock\n"
      " http-request del-header x-forwarded-for\n http-request del-header Forwarded\n"
      " http-request del-header X-OVN-Network-ID\n http-request del-header _ -m sub\n"
      " http-request set-header x-neutron-network-id n1\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->listener.identity.kind, IdentityKind::kNetwork);
}

}  // namespace
}  // namespace nsmp::haproxy
