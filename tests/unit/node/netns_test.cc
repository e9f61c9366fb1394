#include "node/netns.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "netns_fixtures.h"

namespace nsmp::node {
namespace {

using testing::isRoot;
using testing::NamespaceHolder;
using testing::RunNetnsEntry;

TEST(NetnsPathTest, NamesLiveUnderRunNetnsPathsOfProcessesStayAsGiven) {
  EXPECT_EQ(*netnsPath("qdhcp-8c2a"), "/run/netns/qdhcp-8c2a");
  EXPECT_EQ(*netnsPath("/run/netns/qdhcp-8c2a"), "/run/netns/qdhcp-8c2a");
  EXPECT_EQ(*netnsPath("ovnmeta-0d4e6f1a-2b3c-4d5e-8f90-a1b2c3d4e5f6"),
            "/run/netns/ovnmeta-0d4e6f1a-2b3c-4d5e-8f90-a1b2c3d4e5f6");
  EXPECT_EQ(*netnsPath("a_b.c:d@e+f"), "/run/netns/a_b.c:d@e+f");
  EXPECT_EQ(*netnsPath("/proc/1/ns/net"), "/proc/1/ns/net");
  EXPECT_EQ(*netnsPath("/proc/4194304/ns/net"), "/proc/4194304/ns/net");
  EXPECT_TRUE(netnsPath(std::string(255, 'n')));
}

// Issue #10 item 7: nothing but /run/netns/<one component> and
// /proc/<pid>/ns/net can be named, so the root helper opens nothing else.
TEST(NetnsPathTest, AnythingElseIsRefused) {
  for (const char* bad : {"",
                          ".",
                          "..",
                          ".hidden",
                          "a/b",
                          "../etc",
                          "../../etc/shadow",
                          "/etc/shadow",
                          "/root",
                          "/run/netns/",
                          "/run/netns/..",
                          "/run/netns/../../etc/shadow",
                          "/run/netns/a/b",
                          "/proc/self/ns/net",
                          "/proc/thread-self/ns/net",
                          "/proc/1/ns/mnt",
                          "/proc/1/ns/net/",
                          "/proc/01/ns/net",
                          "/proc/-1/ns/net",
                          "/proc/1/../1/ns/net",
                          "/proc//ns/net",
                          "/proc/12345678901/ns/net",
                          "/proc/ns/net",
                          "proc/1/ns/net",
                          "qdhcp x",
                          "qdhcp\n",
                          "qdhcp\t",
                          "q*",
                          "q$(id)",
                          "q\\x"}) {
    auto p = netnsPath(bad);
    ASSERT_FALSE(p) << "'" << bad << "' -> " << *p;
    EXPECT_NE(p.status().message().find("not a namespace name under /run/netns"), std::string::npos)
        << p.status().message();
  }
  EXPECT_FALSE(netnsPath(std::string(256, 'n')));
  EXPECT_FALSE(netnsPath(std::string("qdhcp\0x", 7)));
}

class OpenNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!isRoot()) GTEST_SKIP() << "needs root (namespaces, /run/netns)";
  }
  static std::string errorOf(const std::string& netns) {
    auto fd = openNetns(netns);
    return fd ? "(opened)" : fd.status().message();
  }
};

TEST_F(OpenNetnsTest, OpensTheNamespaceOfAProcess) {
  NamespaceHolder holder;
  ASSERT_TRUE(holder.ok());
  auto fd = openNetns(holder.path());
  ASSERT_TRUE(fd) << fd.status().message();
  struct stat got, want;
  ASSERT_EQ(::fstat(fd->get(), &got), 0);
  ASSERT_EQ(::stat(holder.path().c_str(), &want), 0);
  EXPECT_EQ(got.st_ino, want.st_ino);
  auto own = NamespaceSwitch::open();
  ASSERT_TRUE(own);
  EXPECT_FALSE(sameNamespace(fd->get(), own->home()));
}

TEST_F(OpenNetnsTest, AMissingNamespaceIsNoSuchFile) {
  std::string name = "nsmp-unit-" + std::to_string(::getpid()) + "-none";
  EXPECT_EQ(errorOf(name), "netns " + name + ": No such file or directory");
  EXPECT_EQ(errorOf("/proc/999999999/ns/net"),
            "netns /proc/999999999/ns/net: No such file or directory");
}

// Issue #10 item 7: a FIFO is refused without being opened (opening it
// would wait for a writer), and so is anything else that is not a network
// namespace, symbolic links included.
TEST_F(OpenNetnsTest, WhatIsNotANetworkNamespaceIsRefusedAndNamed) {
  struct Case {
    RunNetnsEntry::Kind kind;
    const char* what;
    const char* why;
  };
  for (const Case& c : {Case{RunNetnsEntry::Kind::kFifo, "fifo", "a FIFO"},
                        Case{RunNetnsEntry::Kind::kFile, "file", "a plain file"},
                        Case{RunNetnsEntry::Kind::kDirectory, "dir", "a directory"},
                        Case{RunNetnsEntry::Kind::kSymlinkToOwnNetns, "link", "a symbolic link"},
                        Case{RunNetnsEntry::Kind::kUtsNamespace, "uts", "a UTS namespace"}}) {
    RunNetnsEntry entry(c.kind, c.what);
    ASSERT_TRUE(entry.ok()) << c.what;
    std::string want = std::string(": not a network namespace (") + c.why + ")";
    EXPECT_EQ(errorOf(entry.name()), "netns " + entry.name() + want);
    EXPECT_EQ(errorOf(entry.path()), "netns " + entry.path() + want);
  }
}

}  // namespace
}  // namespace nsmp::node
