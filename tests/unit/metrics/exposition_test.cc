#include "metrics/exposition.h"

#include <gtest/gtest.h>

namespace nsmp::metrics {
namespace {

constexpr std::string_view kLabels = R"({uuid="u1",kind="router")";

std::string page(const proxy::Counters& c) {
  ListenerSample s{"u1", "router", &c, 3, 4, true};
  std::string out;
  writeExposition({&s, 1}, ProcessSample{7, 1024, 1 << 20, 1.5e9, 0.5}, {"0.1.0", "abc1234"}, &out);
  return out;
}

bool has(const std::string& page, const std::string& line) {
  return page.find("\n" + line + "\n") != std::string::npos;
}

TEST(Exposition, CountersOfEachListenerWithItsLabels) {
  proxy::Counters c;
  c.accepted = 5;
  c.active = 2;
  c.responses_by_class[2] = 9;
  c.responses_by_class[4] = 1;
  c.local_replies[static_cast<size_t>(http::Reply::kMissingHost)] = 1;
  c.local_replies[static_cast<size_t>(http::Reply::kRateLimited)] = 6;
  c.bytes_to_client = 1234;
  c.upstream_connect_failures = 8;
  std::string p = page(c);
  const std::string l(kLabels);
  EXPECT_TRUE(has(p, "nsmp_connections_accepted_total" + l + "} 5")) << p;
  EXPECT_TRUE(has(p, "nsmp_connections_active" + l + "} 2"));
  EXPECT_TRUE(has(p, "nsmp_requests_total" + l + ",code=\"2xx\"} 9"));
  EXPECT_TRUE(has(p, "nsmp_requests_total" + l + ",code=\"4xx\"} 1"));
  EXPECT_TRUE(has(p, "nsmp_local_replies_total" + l + ",reason=\"missing_host\"} 1"));
  EXPECT_TRUE(has(p, "nsmp_rate_limited_requests_total" + l + "} 6"));
  EXPECT_EQ(p.find("reason=\"obs_fold\""), std::string::npos);  // never seen: not listed
  EXPECT_TRUE(has(p, "nsmp_client_sent_bytes_total" + l + "} 1234"));
  EXPECT_TRUE(has(p, "nsmp_agent_connections_opened_total" + l + "} 3"));
  EXPECT_TRUE(has(p, "nsmp_agent_connections_reused_total" + l + "} 4"));
  EXPECT_TRUE(has(p, "nsmp_agent_connect_failures_total" + l + "} 8"));
  EXPECT_TRUE(has(p, "nsmp_listener_up" + l + "} 1"));
  EXPECT_TRUE(has(p, "nsmp_process_open_fds 7"));
  EXPECT_TRUE(has(p, "nsmp_process_resident_memory_bytes 1048576"));
  EXPECT_TRUE(has(p, "nsmp_process_start_time_seconds 1500000000"));
  EXPECT_TRUE(has(p, "nsmp_build_info{version=\"0.1.0\",commit=\"abc1234\"} 1"));
  EXPECT_TRUE(has(p, "# TYPE nsmp_requests_total counter"));
}

TEST(Exposition, HistogramBucketsAreCumulative) {
  proxy::Counters c;
  c.observeDuration(500);         // 0.5 ms: le=0.001
  c.observeDuration(1'000);       // exactly on a bound: that bucket
  c.observeDuration(30'000);      // 30 ms: le=0.05
  c.observeDuration(60'000'000);  // a minute: +Inf only
  std::string p = page(c);
  const std::string l(kLabels);
  const std::string b = "nsmp_request_duration_seconds_bucket" + l;
  EXPECT_TRUE(has(p, b + ",le=\"0.001\"} 2")) << p;
  EXPECT_TRUE(has(p, b + ",le=\"0.025\"} 2"));
  EXPECT_TRUE(has(p, b + ",le=\"0.05\"} 3"));
  EXPECT_TRUE(has(p, b + ",le=\"10\"} 3"));
  EXPECT_TRUE(has(p, b + ",le=\"+Inf\"} 4"));
  EXPECT_TRUE(has(p, "nsmp_request_duration_seconds_count" + l + "} 4"));
  EXPECT_TRUE(has(p, "nsmp_request_duration_seconds_sum" + l + "} 60.0315"));
  EXPECT_TRUE(has(p, "# TYPE nsmp_request_duration_seconds histogram"));
}

TEST(Exposition, EveryFamilyOnceEvenWithManyListeners) {
  proxy::Counters a, b;
  ListenerSample s[] = {{"u1", "network", &a, 0, 0, true}, {"u2", "router", &b, 0, 0, false}};
  std::string out;
  writeExposition(s, {}, {"v", "c"}, &out);
  size_t first = out.find("# TYPE nsmp_connections_active gauge");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(out.find("# TYPE nsmp_connections_active gauge", first + 1), std::string::npos);
  EXPECT_TRUE(has(out, R"(nsmp_listener_up{uuid="u2",kind="router"} 0)"));
  EXPECT_TRUE(has(out, "nsmp_listeners 2"));
}

}  // namespace
}  // namespace nsmp::metrics
