// Notices when the data file changes and reloads it, without a restart.
// Polling (the server calls poll() once a second from a timer) rather than
// inotify: it sees the file replaced by rename (editors, `mv`, config
// management), edited in place, or deleted and recreated, with one code path
// and no watch descriptors to re-arm. The identity compared is device,
// inode, size, mtime and ctime (nanoseconds).
//
// A version that fails to load is reported once and the previous data stays
// in use; the next change is tried again.
#pragma once

#include <sys/stat.h>

#include <string>

#include "metadata/loader.h"

namespace nsmp::metadata {

class DataFileWatcher {
 public:
  explicit DataFileWatcher(std::string path) : path_(std::move(path)) {}

  // The first load; remembers what it read.
  Result<DatasetPtr> load();

  enum class Change {
    kUnchanged,
    kReloaded,  // `data` holds the new data
    kRejected,  // `rejected` says why; keep the old data
    kMissing,   // the file is gone (maybe mid-rename); keep the old data
  };
  struct Polled {
    Change change = Change::kUnchanged;
    DatasetPtr data;
    Status rejected;
  };
  Polled poll();

  const std::string& path() const { return path_; }

 private:
  struct Identity {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = -1;
    timespec mtime{};
    timespec ctime{};
    bool operator==(const Identity& o) const;
  };
  bool statFile(Identity* out) const;

  std::string path_;
  Identity seen_;
  bool missing_ = false;
};

}  // namespace nsmp::metadata
