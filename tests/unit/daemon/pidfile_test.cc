#include "daemon/pidfile.h"

#include <dirent.h>
#include <fcntl.h>
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
      bool held = second.status().code() == Code::kAlreadyExists;
      return held && second.status().message() == want ? 0 : 2;
    });
  }

  std::string dir_;
  std::string path_;
};

TEST_F(PidfileTest, WritesOwnPidAndRemovesOnRelease) {
  {
    auto pidfile = Pidfile::acquire(path_);
    ASSERT_TRUE(pidfile.ok()) << pidfile.status().message();
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
  ASSERT_TRUE(pidfile.ok()) << pidfile.status().message();
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
  ASSERT_TRUE(pidfile.ok()) << pidfile.status().message();
  EXPECT_EQ(contents(), std::to_string(::getpid()) + "\n");
}

TEST_F(PidfileTest, ForkedCopyNeitherRemovesNorUnlocks) {
  auto pidfile = Pidfile::acquire(path_);
  ASSERT_TRUE(pidfile.ok()) << pidfile.status().message();
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
  ASSERT_TRUE(pidfile.ok()) << pidfile.status().message();
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
  ASSERT_TRUE(pidfile.ok()) << pidfile.status().message();
  ASSERT_TRUE(pidfile->writePid(7).ok());
  EXPECT_EQ(contents(), "7\n");
}

TEST_F(PidfileTest, MovedFromObjectDoesNothing) {
  auto pidfile = Pidfile::acquire(path_);
  ASSERT_TRUE(pidfile.ok()) << pidfile.status().message();
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
  EXPECT_EQ(pidfile.status().message(),
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

// The descriptor's close-on-exec flag for the open file named `path` in this
// process: 1 set, 0 clear, -1 when no descriptor names it.
int closeOnExecOf(const std::string& path) {
  int found = -1;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (dirent* e = ::readdir(dir)) {
    char target[4096];
    std::string link = std::string("/proc/self/fd/") + e->d_name;
    ssize_t n = ::readlink(link.c_str(), target, sizeof target);
    if (n <= 0 || std::string(target, static_cast<size_t>(n)) != path) continue;
    int flags = ::fcntl(std::atoi(e->d_name), F_GETFD);
    if (flags >= 0) found = (flags & FD_CLOEXEC) != 0 ? 1 : 0;
  }
  ::closedir(dir);
  return found;
}

// The haproxy engine execs haproxy, which keeps the pid and must keep the
// lock: the descriptor has to survive exec() then, and only then.
TEST_F(PidfileTest, KeepAcrossExecClearsCloseOnExecOnly) {
  auto pidfile = Pidfile::acquire(path_);
  ASSERT_TRUE(pidfile.ok()) << pidfile.status().message();
  EXPECT_EQ(closeOnExecOf(path_), 1) << "a forked helper must not inherit the lock by default";
  ASSERT_TRUE(pidfile->keepAcrossExec().ok());
  EXPECT_EQ(closeOnExecOf(path_), 0);
  EXPECT_EQ(contendFromChild(std::to_string(::getpid())), 0) << "still locked";
  EXPECT_EQ(contents(), std::to_string(::getpid()) + "\n");
}

}  // namespace
}  // namespace nsmp::daemon
