#include "haproxy/launcher.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace nsmp::haproxy {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/nsmp-haproxy-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int cleanup(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return runCleanup(static_cast<int>(args.size()), argv.data());
}

void touch(const std::string& path) { std::ofstream(path) << "x"; }

TEST(ConfigPath, NeutronsLayout) {
  EXPECT_EQ(configPath("/var/lib/neutron", "abc"), "/var/lib/neutron/ns-metadata-proxy/abc.conf");
}

TEST(RunCleanup, DeletesTheConfig) {
  TempDir dir;
  fs::create_directories(dir.path() + "/ns-metadata-proxy");
  std::string conf = configPath(dir.path(), "u1");
  std::string other = configPath(dir.path(), "u2");
  touch(conf);
  touch(other);
  EXPECT_EQ(cleanup({"cleanup", "--state_path", dir.path(), "u1"}), 0);
  EXPECT_FALSE(fs::exists(conf));
  EXPECT_TRUE(fs::exists(other));  // only the named one
  EXPECT_EQ(cleanup({"cleanup", "--state-path=" + dir.path(), "u2"}), 0);
  EXPECT_FALSE(fs::exists(other));
}

TEST(RunCleanup, MissingFileOrDirectoryIsNotAnError) {
  TempDir dir;
  EXPECT_EQ(cleanup({"cleanup", "--state_path", dir.path(), "u1"}), 0);
  fs::create_directories(dir.path() + "/ns-metadata-proxy");
  EXPECT_EQ(cleanup({"cleanup", "--state_path=" + dir.path(), "u1"}), 0);
}

TEST(RunCleanup, OtherFailuresAreErrors) {
  TempDir dir;
  // A directory where the file should be: unlink fails with EISDIR.
  fs::create_directories(configPath(dir.path(), "u1"));
  EXPECT_EQ(cleanup({"cleanup", "--state_path", dir.path(), "u1"}), 1);
  // Not a directory on the way: ENOTDIR.
  touch(dir.path() + "/file");
  EXPECT_EQ(cleanup({"cleanup", "--state_path", dir.path() + "/file", "u1"}), 1);
}

TEST(RunCleanup, UsageErrors) {
  EXPECT_EQ(cleanup({"cleanup"}), 2);
  EXPECT_EQ(cleanup({"cleanup", "--state_path"}), 2);
  EXPECT_EQ(cleanup({"cleanup", "--bogus", "u1"}), 2);
  EXPECT_EQ(cleanup({"cleanup", "u1", "u2"}), 2);
  EXPECT_EQ(cleanup({"cleanup", "../etc"}), 2);  // never a path outside the directory
  EXPECT_EQ(cleanup({"cleanup", ".."}), 2);
  EXPECT_EQ(cleanup({"cleanup", "a b"}), 2);  // no id the command line would accept
  EXPECT_EQ(cleanup({"cleanup", "a%b"}), 2);
}

TEST(ResolveNames, NumbersAndNames) {
  auto root = resolveNames("0", "0");
  ASSERT_TRUE(root.ok()) << root.status().message();
  EXPECT_EQ(root->user, "root");
  EXPECT_EQ(root->group, "root");
  auto named = resolveNames("root", "root");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->user, "root");
  auto effective = resolveNames("", "");
  ASSERT_TRUE(effective.ok());
  auto mine = resolveNames(std::to_string(::geteuid()), std::to_string(::getegid()));
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(effective->user, mine->user);
  EXPECT_EQ(effective->group, mine->group);
}

TEST(ResolveNames, UnknownOnesAreRefused) {
  auto user = resolveNames("no-such-user-nsmp", "0");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().message().rfind("unknown user or uid 'no-such-user-nsmp'", 0), 0u)
      << user.status().message();
  auto uid = resolveNames("4000000000", "0");  // not in the passwd database
  EXPECT_FALSE(uid.ok());
  auto group = resolveNames("0", "no-such-group-nsmp");
  ASSERT_FALSE(group.ok());
  EXPECT_EQ(group.status().message().rfind("unknown group or gid 'no-such-group-nsmp'", 0), 0u);
}

TEST(FindHaproxy, FirstExecutableOnPath) {
  TempDir a, b, c;
  touch(a.path() + "/haproxy");  // not executable: skipped
  touch(b.path() + "/haproxy");
  ::chmod((b.path() + "/haproxy").c_str(), 0755);
  fs::create_directories(c.path() + "/haproxy");  // a directory: skipped
  EXPECT_EQ(findHaproxy(a.path() + ":" + c.path() + "::" + b.path()), b.path() + "/haproxy");
  EXPECT_EQ(findHaproxy(a.path()), "");
  EXPECT_EQ(findHaproxy(""), "");
}

TEST(FindHaproxy, SkipsTheDropInThatIsThisBinary) {
  TempDir a, b;
  fs::create_symlink(fs::read_symlink("/proc/self/exe"), a.path() + "/haproxy");
  touch(b.path() + "/haproxy");
  ::chmod((b.path() + "/haproxy").c_str(), 0755);
  EXPECT_EQ(findHaproxy(a.path() + ":" + b.path()), b.path() + "/haproxy");
  EXPECT_EQ(findHaproxy(a.path()), "");
}

}  // namespace
}  // namespace nsmp::haproxy
