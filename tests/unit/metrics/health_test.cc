#include "metrics/health.h"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <gtest/gtest.h>

#include "net/socket.h"

namespace nsmp::metrics {
namespace {

class Health : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nsmp-metrics-health.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/agent.sock";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_, path_;
};

TEST_F(Health, HealthyWhenListeningAndTheAgentAccepts) {
  Result<net::Fd> agent = net::listenUnix(path_, 4);
  ASSERT_TRUE(agent.ok());
  ListenerHealth l[] = {{"u1", "network", true, path_}, {"u2", "router", true, path_}};
  EXPECT_EQ(healthProblems(l), std::vector<std::string>{});
}

TEST_F(Health, OneLinePerProblemAndEachSocketProbedOnce) {
  ListenerHealth l[] = {{"u1", "network", false, path_}, {"u2", "router", true, path_}};
  std::vector<std::string> p = healthProblems(l);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], "network u1: not accepting connections");
  EXPECT_EQ(p[1], "agent socket " + path_ + " unreachable: connect: No such file or directory");
}

TEST_F(Health, AnAgentThatStoppedListeningIsUnreachable) {
  { Result<net::Fd> agent = net::listenUnix(path_, 4); }  // closed: the file stays
  ListenerHealth l[] = {{"u1", "network", true, path_}};
  std::vector<std::string> p = healthProblems(l);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("Connection refused"), std::string::npos) << p[0];
}

// A busy agent is not a down one: with its backlog full, a non-blocking
// connect says EAGAIN, and the check counts the socket as reachable.
TEST_F(Health, AnAgentWithAFullBacklogIsReachable) {
  Result<net::Fd> agent = net::listenUnix(path_, 0);
  ASSERT_TRUE(agent.ok());
  std::vector<net::Fd> queued;  // connected, never accepted
  bool full = false;
  for (int i = 0; i < 64 && !full; ++i) {
    Result<net::Fd> c = net::connectUnix(path_);
    if (c.ok()) {
      queued.push_back(std::move(*c));
    } else {
      ASSERT_EQ(c.status().sysError(), EAGAIN) << c.status().message();
      full = true;
    }
  }
  ASSERT_TRUE(full) << "the backlog never filled";
  ListenerHealth l[] = {{"u1", "network", true, path_}};
  EXPECT_EQ(healthProblems(l), std::vector<std::string>{});
}

}  // namespace
}  // namespace nsmp::metrics
