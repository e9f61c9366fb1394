// The configuration `--engine haproxy` writes, line by line, and read back.
#include "haproxy/config_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "fixtures.h"
#include "haproxy/config_parser.h"

namespace nsmp::haproxy {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

struct Fixture {
  daemon::ProcessConfig process;
  proxy::ListenerConfig listener;
  Fixture() {
    process.pid_file = "/var/lib/neutron/external/pids/n1.pid";
    listener.uuid = "n1";
    listener.identity = {proxy::IdentityKind::kNetwork, "n1"};
    listener.upstream_socket = "/var/lib/neutron/metadata_proxy";
  }
  std::string render() const {
    return renderHaproxyConfig({&process, &listener, "neutron", "nogroup"});
  }
};

TEST(RenderHaproxyConfig, NeutronTemplateLineByLine) {
  Fixture f;
  std::vector<std::string> expected = {
      "",
      "global",
      "    log         /dev/log local0 info",
      "    log-tag     haproxy-metadata-proxy-n1",
      "    user        neutron",
      "    group       nogroup",
      "    maxconn     1024",
      "    nbthread    2",
      "    pidfile     /var/lib/neutron/external/pids/n1.pid",
      "",
      "defaults",
      "    log global",
      "    mode http",
      "    option httplog",
      "    option dontlognull",
      "    option http-server-close",
      "    option forwardfor",
      "    retries                 3",
      "    timeout http-request    30s",
      "    timeout connect         30s",
      "    timeout client          32s",
      "    timeout server          32s",
      "    timeout http-keep-alive 30s",
      "",
      "listen listener",
      "    bind 0.0.0.0:9697",
      "    server metadata /var/lib/neutron/metadata_proxy",
      "    http-request del-header X-Forwarded-For",
      "    http-request del-header _ -m sub",
      "    http-request del-header X-Neutron-Router-ID",
      "    http-request set-header X-Neutron-Network-ID n1",
  };
  EXPECT_EQ(lines(f.render()), expected);
}

// Lines (blank ones aside) in `a` but not in `b`, in a's order; a line
// repeated counts once per repetition.
std::vector<std::string> minus(const std::vector<std::string>& a, std::vector<std::string> b) {
  std::vector<std::string> out;
  for (const std::string& line : a) {
    if (line.find_first_not_of(' ') == std::string::npos) continue;
    auto it = std::find(b.begin(), b.end(), line);
    if (it == b.end()) {
      out.push_back(line);
    } else {
      b.erase(it);
    }
  }
  return out;
}

// Every difference from the config Neutron writes today for the same
// listener (configs/2026-current-ipv6-brackets.cfg: neutron/common/metadata.py
// + driver_base.py + driver.py) is one docs/haproxy.md lists; a line added to
// or dropped from the writer without a reason there fails here.
TEST(RenderHaproxyConfig, DiffersFromNeutronsCurrentTemplateOnlyAsDocumented) {
  const std::string id = "9f2c1f39-6d7e-4ac1-8c4f-1b4c62f2a0d1";
  Fixture f;
  f.process.pid_file = "/var/lib/neutron/external/pids/" + id + ".pid.haproxy";
  f.listener.uuid = id;
  f.listener.identity = {proxy::IdentityKind::kNetwork, id};
  f.listener.binds = {proxy::BindAddress{"169.254.169.254", 80, ""},
                      proxy::BindAddress{"fe80::a9fe:a9fe", 80, "tap1234abcd-ef"}};
  f.listener.timeouts = {proxy::Millis(20'000), proxy::Millis(5'000), proxy::Millis(60'000),
                         proxy::Millis(120'000), proxy::Millis(15'000)};
  std::vector<std::string> ours =
      lines(renderHaproxyConfig({&f.process, &f.listener, "neutron", "neutron"}));
  std::vector<std::string> neutrons = lines(testing::readFixture("2026-current-ipv6-brackets.cfg"));
  ASSERT_GT(neutrons.size(), 20u);
  EXPECT_EQ(minus(neutrons, ours), std::vector<std::string>{"    daemon"});
  EXPECT_EQ(minus(ours, neutrons),
            (std::vector<std::string>{"    http-request del-header X-Forwarded-For",
                                      "    http-request del-header _ -m sub"}));
  // The lines both have come in the same order.
  auto common = [](const std::vector<std::string>& from, const std::vector<std::string>& other) {
    std::vector<std::string> extra = minus(from, other), out;
    for (const std::string& line : from) {
      if (line.find_first_not_of(' ') == std::string::npos) continue;
      auto it = std::find(extra.begin(), extra.end(), line);
      if (it != extra.end()) {
        extra.erase(it);
      } else {
        out.push_back(line);
      }
    }
    return out;
  };
  EXPECT_EQ(common(ours, neutrons), common(neutrons, ours));
}

TEST(RenderHaproxyConfig, RouterDebugIpv6AndShortTimeouts) {
  Fixture f;
  f.process.debug = true;
  f.process.pid_file.clear();
  f.listener.uuid = "r1";
  f.listener.identity = {proxy::IdentityKind::kRouter, "r1"};
  f.listener.binds = {proxy::BindAddress{"::", 9697, ""},
                      proxy::BindAddress{"fe80::a9fe:a9fe", 80, "eth0"}};
  f.listener.timeouts.client = proxy::Millis(1500);
  f.listener.maxconn = 50;
  auto got = lines(f.render());
  EXPECT_EQ(got[2], "    log         /dev/log local0 debug");
  EXPECT_EQ(got[3], "    log-tag     haproxy-metadata-proxy-r1");
  EXPECT_EQ(got[6], "    maxconn     50");
  EXPECT_EQ(got[8], "");  // no pidfile line without --pid_file
  EXPECT_EQ(got[19], "    timeout client          1500ms");
  EXPECT_EQ(got[23], "listen listener");
  EXPECT_EQ(got[24], "    bind :::9697");
  EXPECT_EQ(got[25], "    bind [fe80::a9fe:a9fe]:80 interface eth0");
  EXPECT_EQ(got[got.size() - 2], "    http-request del-header X-Neutron-Network-ID");
  EXPECT_EQ(got.back(), "    http-request set-header X-Neutron-Router-ID r1");
}

TEST(RenderHaproxyConfig, RateLimitedTemplate) {
  Fixture f;
  f.listener.rate_limit.enabled = true;
  f.listener.rate_limit.base_window = proxy::Millis(10'000);
  f.listener.rate_limit.base_limit = 10;
  f.listener.rate_limit.burst_window = proxy::Millis(2'000);
  f.listener.rate_limit.burst_limit = 5;
  f.listener.rate_limit.expire = proxy::Millis(10'000);
  std::string text = f.render();
  std::vector<std::string> got = lines(text);
  std::vector<std::string> tail(got.begin() + 24, got.end());
  std::vector<std::string> expected = {
      "backend base_rate_limiter",
      "    stick-table type ip size 10k expire 10s store http_req_rate(10s)",
      "",
      "backend burst_rate_limiter",
      "    stick-table type ip size 10k expire 10s store http_req_rate(2s)",
      "",
      "listen listener",
      "    bind 0.0.0.0:9697",
      "",
      "    http-request track-sc0 src table base_rate_limiter",
      "    http-request track-sc1 src table burst_rate_limiter",
      "    http-request deny deny_status 429 if { src_http_req_rate(base_rate_limiter) gt 10 }",
      "    http-request deny deny_status 429 if { src_http_req_rate(burst_rate_limiter) gt 5 }",
      "",
      "    server metadata /var/lib/neutron/metadata_proxy",
      "    http-request del-header X-Forwarded-For",
      "    http-request del-header _ -m sub",
      "    http-request del-header X-Neutron-Router-ID",
      "    http-request set-header X-Neutron-Network-ID n1",
  };
  EXPECT_EQ(tail, expected);
}

TEST(RenderHaproxyConfig, OvnIdentity) {
  Fixture f;
  f.listener.identity = {proxy::IdentityKind::kOvnNetwork, "o1"};
  auto got = lines(f.render());
  // OVN's template deletes no header (its agent reads only X-OVN-Network-ID)
  // and adds its own; set-header replaces a copy the VM sent instead.
  EXPECT_EQ(got[got.size() - 2], "    http-request del-header _ -m sub");
  EXPECT_EQ(got.back(), "    http-request set-header X-OVN-Network-ID o1");
}

TEST(RenderHaproxyConfig, ReadsBackToTheSameListener) {
  // What --engine haproxy writes, -f accepts: one format for both engines.
  for (bool limited : {false, true}) {
    Fixture f;
    f.listener.binds = {proxy::BindAddress{"127.0.0.1", 9697, ""},
                        proxy::BindAddress{"fe80::a9fe:a9fe", 80, "eth0"}};
    f.listener.timeouts.server = proxy::Millis(250);
    f.listener.rate_limit.enabled = limited;
    f.listener.rate_limit.burst_window = proxy::Millis(3'000);
    f.listener.rate_limit.burst_limit = 7;
    auto parsed = parseHaproxyConfig(f.render());
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    const proxy::ListenerConfig& l = parsed->listener;
    EXPECT_EQ(l.uuid, "n1");
    EXPECT_EQ(l.identity.kind, proxy::IdentityKind::kNetwork);
    EXPECT_EQ(l.identity.value, "n1");
    ASSERT_EQ(l.binds.size(), 2u);
    EXPECT_EQ(l.binds[1].host, "fe80::a9fe:a9fe");
    EXPECT_EQ(l.binds[1].interface, "eth0");
    EXPECT_EQ(l.timeouts.server, proxy::Millis(250));
    EXPECT_EQ(l.connect_attempts, f.listener.connect_attempts);
    EXPECT_EQ(l.upstream_socket, f.listener.upstream_socket);
    EXPECT_EQ(l.rate_limit.enabled, limited);
    if (limited) {
      EXPECT_EQ(l.rate_limit.burst_window, proxy::Millis(3'000));
      EXPECT_EQ(l.rate_limit.burst_limit, 7u);
      EXPECT_EQ(l.rate_limit.base_limit, f.listener.rate_limit.base_limit);
      EXPECT_EQ(l.rate_limit.table_size, f.listener.rate_limit.table_size);
    }
    EXPECT_EQ(parsed->process.pid_file, f.process.pid_file);
    EXPECT_EQ(parsed->process.user, "neutron");
    EXPECT_EQ(parsed->process.group, "nogroup");
    EXPECT_FALSE(parsed->process.daemonize);  // the launcher daemonizes, not haproxy
  }
}

TEST(FormatDuration, SecondsWhenWhole) {
  EXPECT_EQ(formatDuration(proxy::Millis(30'000)), "30s");
  EXPECT_EQ(formatDuration(proxy::Millis(500)), "500ms");
  EXPECT_EQ(formatDuration(proxy::Millis(1'001)), "1001ms");
}

}  // namespace
}  // namespace nsmp::haproxy
