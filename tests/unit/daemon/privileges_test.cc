#include "daemon/privileges.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include "child_process.h"

namespace nsmp::daemon {
namespace {

using testing::runInChild;

TEST(PrivilegesTest, ResolvesNamesAndNumbers) {
  auto root = resolveCredentials("root", "root");
  ASSERT_TRUE(root.ok()) << root.status().message();
  EXPECT_EQ(root->uid, 0u);
  EXPECT_EQ(root->gid, 0u);
  EXPECT_EQ(root->user_name, "root");
  EXPECT_EQ(root->group_name, "root");

  auto zero = resolveCredentials("0", "0");
  ASSERT_TRUE(zero.ok()) << zero.status().message();
  EXPECT_EQ(zero->uid, 0u);
  EXPECT_EQ(zero->user_name, "root");
  EXPECT_EQ(zero->group_name, "root");
}

TEST(PrivilegesTest, ResolvesNobodyAndNogroup) {
  passwd* pw = ::getpwnam("nobody");
  group* gr = ::getgrnam("nogroup");
  if (pw == nullptr || gr == nullptr) GTEST_SKIP() << "no nobody/nogroup on this system";
  uid_t nobody = pw->pw_uid;
  gid_t nogroup = gr->gr_gid;
  auto c = resolveCredentials("nobody", "nogroup");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->uid, nobody);
  EXPECT_EQ(c->gid, nogroup);
  auto n = resolveCredentials(std::to_string(nobody), std::to_string(nogroup));
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(n->user_name, "nobody");
  EXPECT_EQ(n->group_name, "nogroup");
}

TEST(PrivilegesTest, EmptyMeansEffectiveIds) {
  auto c = resolveCredentials("", "");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->uid, ::geteuid());
  EXPECT_EQ(c->gid, ::getegid());
  EXPECT_FALSE(c->user_name.empty());
}

TEST(PrivilegesTest, NumbersNeedNotExist) {
  // Neutron accepts any uid/gid number, as the kernel does.
  auto c = resolveCredentials("4242424", "4242425");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->uid, 4242424u);
  EXPECT_EQ(c->gid, 4242425u);
  EXPECT_EQ(c->user_name, "4242424");
  EXPECT_EQ(c->group_name, "4242425");
}

TEST(PrivilegesTest, RefusesUnknownNames) {
  auto u = resolveCredentials("nosuch", "");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().message(), "unknown user 'nosuch'");
  auto g = resolveCredentials("", "nosuchgroup");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().message(), "unknown group 'nosuchgroup'");
  // (uid_t)-1 means "unchanged" to the kernel, so it is a name, not a number.
  auto minus = resolveCredentials("4294967295", "");
  ASSERT_FALSE(minus.ok());
  EXPECT_EQ(minus.status().message(), "unknown user '4294967295'");
}

TEST(PrivilegesTest, DroppingToSelfAsNonRootIsANoOp) {
  int rc = runInChild([] {
    if (::geteuid() == 0) {
      // Become an ordinary user first; dropping to that same user again must succeed.
      if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
          ::setresuid(65534, 65534, 65534) != 0) {
        return 10;
      }
    }
    auto self = resolveCredentials("", "");
    if (!self.ok()) return 11;
    return dropPrivileges(*self).ok() ? 0 : 12;
  });
  EXPECT_EQ(rc, 0);
}

TEST(PrivilegesTest, NonRootCannotSwitchUser) {
  int rc = runInChild([] {
    if (::geteuid() == 0 &&
        (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
         ::setresuid(65534, 65534, 65534) != 0)) {
      return 10;
    }
    uid_t before = ::getuid();
    Credentials other{before - 1, ::getgid() - 1, "other", "other"};
    Status s = dropPrivileges(other);
    if (s.ok()) return 11;
    if (s.message().find("only root can change user") == std::string::npos) return 12;
    return ::getuid() == before && ::geteuid() == before ? 0 : 13;
  });
  EXPECT_EQ(rc, 0);
}

TEST(PrivilegesTest, RootDropsToNobodyForGood) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  auto target = resolveCredentials("nobody", "nogroup");
  if (!target.ok()) GTEST_SKIP() << target.status().message();
  Credentials c = *target;
  int rc = runInChild([c] {
    if (::setgroups(1, &c.gid) != 0) return 20;  // something to drop
    Status s = dropPrivileges(c);
    if (!s.ok()) return 21;
    uid_t r, e, saved;
    gid_t rg, eg, sg;
    ::getresuid(&r, &e, &saved);
    ::getresgid(&rg, &eg, &sg);
    if (r != c.uid || e != c.uid || saved != c.uid) return 22;
    if (rg != c.gid || eg != c.gid || sg != c.gid) return 23;
    if (::getgroups(0, nullptr) != 0) return 24;
    if (::setuid(0) == 0 || ::seteuid(0) == 0) return 25;  // root must be gone for good
    if (::setgid(0) == 0) return 26;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(PrivilegesTest, RootStayingRootKeepsWorking) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  int rc = runInChild([] {
    auto self = resolveCredentials("", "");
    if (!self.ok()) return 30;
    if (!dropPrivileges(*self).ok()) return 31;
    return ::geteuid() == 0 && ::getgroups(0, nullptr) == 0 ? 0 : 32;
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace nsmp::daemon
