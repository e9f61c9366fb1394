#include "haproxy/compat_args.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "fixtures.h"

namespace nsmp::haproxy {
namespace {

struct Outcome {
  std::optional<int> status;
  daemon::ProcessConfig process;
  proxy::ListenerConfig listener;
};

Outcome run(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Outcome r;
  r.status = parseHaproxyArgs(static_cast<int>(args.size()), argv.data(), &r.process, &r.listener);
  return r;
}

bool wants(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return wantsHaproxyMode(static_cast<int>(args.size()), argv.data());
}

const std::string kCurrent = std::string(NSMP_HAPROXY_FIXTURES) + "/2026-current-ipv6-brackets.cfg";
const std::string kSeed = std::string(NSMP_HAPROXY_FIXTURES) + "/2017-seed-both-ids.cfg";

// The OVN fixtures run as root, a user every host has (-c resolves it).
const std::string kOvn = std::string(NSMP_HAPROXY_FIXTURES) + "/ovn-add-header.cfg";
const std::string kOvnLimited = std::string(NSMP_HAPROXY_FIXTURES) + "/ovn-rate-limited-ipv6.cfg";

TEST(ParseHaproxyArgs, CheckMode) {
  EXPECT_EQ(run({"haproxy", "-c", "-f", kOvn}).status, 0);
  EXPECT_EQ(run({"haproxy", "-f", kOvnLimited, "-c"}).status, 0);
  EXPECT_EQ(run({"haproxy", "-c", "-f", std::string(NSMP_HAPROXY_FIXTURES) + "/README.md"}).status,
            1);
  EXPECT_EQ(run({"haproxy", "-c", "-f", "/nonexistent/x.cfg"}).status, 1);
  EXPECT_EQ(run({"haproxy", "-c", "-f", NSMP_HAPROXY_FIXTURES}).status, 1);  // a directory
}

TEST(ParseHaproxyArgs, CheckModeRefusesUnknownUsersLikeHaproxy) {
  std::string path = ::testing::TempDir() + "/nsmp-unknown-user.cfg";
  {
    std::ofstream out(path);
    out << "global\n user no-such-user-nsmp\nlisten l\n bind 127.0.0.1:9697\n"
           " server s /run/m.sock\n http-request set-header X-Neutron-Network-ID n1\n";
  }
  EXPECT_EQ(run({"haproxy", "-c", "-f", path}).status, 1);
  // Running is refused later by the engine itself; parsing alone succeeds.
  EXPECT_EQ(run({"haproxy", "-f", path}).status, std::nullopt);
  std::remove(path.c_str());
}

TEST(ParseHaproxyArgs, RunModeFillsTheConfigs) {
  Outcome r = run({"haproxy", "-f", kCurrent});
  ASSERT_EQ(r.status, std::nullopt);
  EXPECT_TRUE(r.process.daemonize);  // `daemon` in global
  EXPECT_EQ(r.process.pid_file,
            "/var/lib/neutron/external/pids/9f2c1f39-6d7e-4ac1-8c4f-1b4c62f2a0d1.pid.haproxy");
  EXPECT_EQ(r.listener.uuid, "9f2c1f39-6d7e-4ac1-8c4f-1b4c62f2a0d1");
  EXPECT_EQ(r.listener.binds.size(), 2u);
}

TEST(ParseHaproxyArgs, CommandLineOverridesTheFile) {
  Outcome fg = run({"haproxy", "-db", "-f", kCurrent, "-p", "/run/x.pid"});
  ASSERT_EQ(fg.status, std::nullopt);
  EXPECT_FALSE(fg.process.daemonize);
  EXPECT_EQ(fg.process.pid_file, "/run/x.pid");
  Outcome bg = run({"haproxy", "-D", "-f", kSeed});
  ASSERT_EQ(bg.status, std::nullopt);
  EXPECT_TRUE(bg.process.daemonize);
  Outcome both = run({"haproxy", "-D", "-db", "-f", kSeed});
  EXPECT_FALSE(both.process.daemonize);  // -db wins, as in haproxy
}

TEST(ParseHaproxyArgs, RefusesWhatItDoesNotDo) {
  EXPECT_EQ(run({"haproxy"}).status, 1);
  EXPECT_EQ(run({"haproxy", "-f"}).status, 1);
  EXPECT_EQ(run({"haproxy", "-f", kSeed, "-f", kCurrent}).status, 1);
  EXPECT_EQ(run({"haproxy", "-Ws", "-f", kSeed}).status, 1);
  EXPECT_EQ(run({"haproxy", "-f", kSeed, "-sf", "123"}).status, 1);
  EXPECT_EQ(run({"haproxy", "-f", kSeed, "-p"}).status, 1);
}

TEST(ParseHaproxyArgs, VersionAndHelp) {
  EXPECT_EQ(run({"haproxy", "-v"}).status, 0);
  EXPECT_EQ(run({"haproxy", "-vv"}).status, 0);
  EXPECT_EQ(run({"haproxy", "-h"}).status, 0);
}

TEST(WantsHaproxyMode, ByNameOrByArguments) {
  EXPECT_TRUE(wants({"/usr/libexec/ns-metadata-proxy/haproxy", "-f", "x"}));
  EXPECT_TRUE(wants({"haproxy"}));
  EXPECT_TRUE(wants({"ns-metadata-proxy", "-f", "x"}));
  EXPECT_TRUE(wants({"ns-metadata-proxy", "-c", "-f", "x"}));
  EXPECT_FALSE(wants({"ns-metadata-proxy", "--network_id", "n1"}));
  EXPECT_FALSE(wants({"ns-metadata-proxy"}));
  EXPECT_FALSE(wants({"/usr/bin/haproxy-wrapper", "--router_id", "r"}));
}

}  // namespace
}  // namespace nsmp::haproxy
