#include "daemon/pidfile.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "child_process.h"

namespace nsmp::daemon {
namespace {

using testing::runInChild;

class PidfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nsmp-pidfile-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/proxy.pid";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  bool exists() const {
    struct stat st {};
    return ::stat(path_.c_str(), &st) == 0;
  }
  std::string contents() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Tries to take the pidfile from another process; returns 0 if refused
  // with the expected message, 1 if it was acquired, 2 for a wrong message.
  int contendFromChild(const std::string& holder_pid) {
    std::string path = path_;
    return runInChild([path, holder_pid] {
      auto second = Pidfile::acquire(path);
      if (second.ok()) return 1;
      std::string want = "pidfile " + path + " is held by running process " + holder_pid +
                         "; is another ns-metadata-proxy running?";
      return second.error() == want ? 0 : 2;
    });
  }

  std::string dir_;
  std::string path_;
};

TEST_F(PidfileTest, WritesOwnPidAndRemovesOnRelease) {
  {
    auto pidfile = Pidfile::acquire(path_);
    ASSERT_TRUE(pidfile.ok()) << pidfile.error();
    EXPECT_EQ(contents(), std::to_string(::getpid()) + "\n");
    struct stat st {};
    ASSERT_EQ(::stat(path_.c_str(), &st), 0);
    mode_t mask = ::umask(0);
    ::umask(mask);
    EXPECT_EQ(st.st_mode & 0777, 0644u & ~mask);
  }
  EXPECT_FALSE(exists());
}

TEST_F(PidfileTest, SecondInstanceIsRefusedWithHolderPid) {
  auto pidfile = Pidfile::acquire(path_);
  ASSERT_TRUE(pidfile.ok()) << pidfile.error();
  EXPECT_EQ(contendFromChild(std::to_string(::getpid())), 0);
  // The refused attempt must not have changed or removed the file.
  EXPECT_EQ(contents(), std::to_string(::getpid()) + "\n");
  pidfile->release();
  EXPECT_FALSE(exists());
  // Once released, another process gets it.
  std::string path = path_;
  EXPECT_EQ(runInChild([path] {
              auto p = Pidfile::acquire(path);
              return p.ok() ? 0 : 1;
            }),
            0);
  EXPECT_FALSE(exists()) << "the child's pidfile is removed when it exits cleanly";
}

TEST_F(PidfileTest, StaleFileFromACrashedProcessIsTakenOver) {
  {
    std::ofstream out(path_);
    out << "999999\n";
  }
  auto pidfile = Pidfile::acquire(path_);
  ASSERT_TRUE(pidfile.ok()) << pidfile.error();
  EXPECT_EQ(contents(), std::to_string(::getpid()) + "\n");
}

TEST_F(PidfileTest, ForkedCopyNeitherRemovesNorUnlocks) {
  auto pidfile = Pidfile::acquire(path_);
  ASSERT_TRUE(pidfile.ok()) << pidfile.error();
  // A child that inherited the object (e.g. a fork before exec) releases its copy.
  EXPECT_EQ(runInChild([&pidfile] {
              pidfile->release();
              return 0;
            }),
            0);
  EXPECT_TRUE(exists());
  EXPECT_EQ(contendFromChild(std::to_string(::getpid())), 0) << "lock lost";
}

TEST_F(PidfileTest, DoesNotRemoveAFileThatReplacedOurs) {
  auto pidfile = Pidfile::acquire(path_);
  ASSERT_TRUE(pidfile.ok()) << pidfile.error();
  ASSERT_EQ(::unlink(path_.c_str()), 0);
  {
    std::ofstream out(path_);
    out << "12345\n";
  }
  pidfile->release();
  EXPECT_EQ(contents(), "12345\n");
}

TEST_F(PidfileTest, WritePidRewritesContent) {
  auto pidfile = Pidfile::acquire(path_);
  ASSERT_TRUE(pidfile.ok()) << pidfile.error();
  ASSERT_TRUE(pidfile->writePid(7).ok());
  EXPECT_EQ(contents(), "7\n");
}

TEST_F(PidfileTest, MovedFromObjectDoesNothing) {
  auto pidfile = Pidfile::acquire(path_);
  ASSERT_TRUE(pidfile.ok()) << pidfile.error();
  {
    Pidfile moved = std::move(*pidfile);
    pidfile->release();  // moved-from: no-op
    EXPECT_TRUE(exists());
    EXPECT_EQ(contendFromChild(std::to_string(::getpid())), 0);
  }
  EXPECT_FALSE(exists());
}

TEST_F(PidfileTest, MissingDirectoryIsRefusedNotCreated) {
  std::string path = dir_ + "/nodir/proxy.pid";
  auto pidfile = Pidfile::acquire(path);
  ASSERT_FALSE(pidfile.ok());
  EXPECT_EQ(pidfile.error(),
            "cannot create pidfile " + path + ": directory " + dir_ + "/nodir does not exist");
  struct stat st {};
  EXPECT_NE(::stat((dir_ + "/nodir").c_str(), &st), 0);
}

TEST_F(PidfileTest, SymlinkIsRefused) {
  std::string target = dir_ + "/target";
  ASSERT_EQ(::symlink(target.c_str(), path_.c_str()), 0);
  auto pidfile = Pidfile::acquire(path_);
  EXPECT_FALSE(pidfile.ok());
  struct stat st {};
  EXPECT_NE(::stat(target.c_str(), &st), 0) << "wrote through the symlink";
}

}  // namespace
}  // namespace nsmp::daemon
