#include "metadata/watcher.h"

namespace nsmp::metadata {

bool DataFileWatcher::Identity::operator==(const Identity& o) const {
  return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
         mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec &&
         ctime.tv_nsec == o.ctime.tv_nsec;
}

bool DataFileWatcher::statFile(Identity* out) const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return false;
  *out = Identity{st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
  return true;
}

Result<DatasetPtr> DataFileWatcher::load() {
  // Identity first, then read: a write landing in between shows up as a
  // change at the next poll instead of being missed.
  if (!statFile(&seen_)) seen_ = Identity{};
  return loadDatasetFile(path_);
}

DataFileWatcher::Polled DataFileWatcher::poll() {
  Identity now;
  if (!statFile(&now)) {
    if (missing_) return {Change::kUnchanged, nullptr, {}};  // reported once
    missing_ = true;
    seen_ = Identity{};
    return {Change::kMissing, nullptr, {}};
  }
  missing_ = false;
  if (now == seen_) return {Change::kUnchanged, nullptr, {}};
  seen_ = now;
  Result<DatasetPtr> loaded = loadDatasetFile(path_);
  if (!loaded) return {Change::kRejected, nullptr, loaded.status()};
  return {Change::kReloaded, std::move(*loaded), {}};
}

}  // namespace nsmp::metadata
