#include "metadata/watcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "fixture.h"

namespace nsmp::metadata {
namespace {

class WatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nsmp-watcher-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/metadata.json";
  }
  void TearDown() override {
    std::remove(path_.c_str());
    std::remove((path_ + ".new").c_str());
    rmdir(dir_.c_str());
  }
  void writeInPlace(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }
  void replaceByRename(const std::string& text) {
    std::ofstream(path_ + ".new", std::ios::trunc) << text;
    ASSERT_EQ(std::rename((path_ + ".new").c_str(), path_.c_str()), 0);
  }
  static std::string withUuid(const std::string& uuid) {
    return R"({"instances": [{"uuid": ")" + uuid +
           R"(", "ports": [{"network_id": "n", "ip_addresses": ["192.0.2.1"]}]}]})";
  }

  std::string dir_;
  std::string path_;
};

TEST_F(WatcherTest, NoChangeNoReload) {
  writeInPlace(withUuid("one"));
  DataFileWatcher watcher(path_);
  ASSERT_TRUE(watcher.load().ok());
  EXPECT_EQ(watcher.poll().change, DataFileWatcher::Change::kUnchanged);
  EXPECT_EQ(watcher.poll().change, DataFileWatcher::Change::kUnchanged);
}

TEST_F(WatcherTest, ReloadsAReplacedFile) {
  DataFileWatcher::Polled result;
  writeInPlace(withUuid("one"));
  DataFileWatcher watcher(path_);
  ASSERT_TRUE(watcher.load().ok());
  replaceByRename(withUuid("two"));  // a new inode, whatever the clock says
  result = watcher.poll();
  ASSERT_EQ(result.change, DataFileWatcher::Change::kReloaded) << result.rejected.message();
  EXPECT_EQ(result.data->instances[0].uuid, "two");
  EXPECT_EQ(watcher.poll().change, DataFileWatcher::Change::kUnchanged);
}

TEST_F(WatcherTest, ReloadsAFileEditedInPlace) {
  DataFileWatcher::Polled result;
  writeInPlace(withUuid("one"));
  DataFileWatcher watcher(path_);
  ASSERT_TRUE(watcher.load().ok());
  writeInPlace(withUuid("three-longer"));  // the size changes even if mtime did not
  result = watcher.poll();
  ASSERT_EQ(result.change, DataFileWatcher::Change::kReloaded) << result.rejected.message();
  EXPECT_EQ(result.data->instances[0].uuid, "three-longer");
}

TEST_F(WatcherTest, MalformedNewVersionIsRejectedOnceThenFixed) {
  DataFileWatcher::Polled result;
  writeInPlace(withUuid("one"));
  DataFileWatcher watcher(path_);
  ASSERT_TRUE(watcher.load().ok());
  replaceByRename("{\n  \"instances\": [\n}\n");
  result = watcher.poll();
  ASSERT_EQ(result.change, DataFileWatcher::Change::kRejected) << result.rejected.message();
  EXPECT_NE(result.rejected.message().find(path_ + ": line 3"), std::string::npos)
      << result.rejected.message();
  EXPECT_EQ(watcher.poll().change, DataFileWatcher::Change::kUnchanged);  // reported once
  replaceByRename(withUuid("fixed"));
  result = watcher.poll();
  ASSERT_EQ(result.change, DataFileWatcher::Change::kReloaded) << result.rejected.message();
  EXPECT_EQ(result.data->instances[0].uuid, "fixed");
}

TEST_F(WatcherTest, MissingFileIsReportedOnceAndComesBack) {
  DataFileWatcher::Polled result;
  writeInPlace(withUuid("one"));
  DataFileWatcher watcher(path_);
  ASSERT_TRUE(watcher.load().ok());
  ASSERT_EQ(std::remove(path_.c_str()), 0);
  EXPECT_EQ(watcher.poll().change, DataFileWatcher::Change::kMissing);
  EXPECT_EQ(watcher.poll().change, DataFileWatcher::Change::kUnchanged);
  writeInPlace(withUuid("back"));
  result = watcher.poll();
  ASSERT_EQ(result.change, DataFileWatcher::Change::kReloaded) << result.rejected.message();
  EXPECT_EQ(result.data->instances[0].uuid, "back");
}

}  // namespace
}  // namespace nsmp::metadata
