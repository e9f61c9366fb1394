// A bounded byte buffer: [start, end) holds unread data inside one heap block,
// and the buffer never holds more than its limit -- the limit is part of the
// buffer, set by its owner once, so no caller can forget it. Blocks of the
// default size come from a per-thread free list, so a request costs no malloc
// in the steady state, and an idle connection holds no block at all
// (release() when empty).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace nsmp {

class Buffer {
 public:
  static constexpr size_t kBlockSize = size_t{16} * 1024;

  explicit Buffer(size_t limit = kBlockSize) : limit_(static_cast<uint32_t>(limit)) {}
  ~Buffer() { release(); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  size_t size() const { return end_ - start_; }
  bool empty() const { return end_ == start_; }
  size_t capacity() const { return cap_; }
  size_t limit() const { return limit_; }
  // REQUIRES: limit >= size(), and limit < 4 GiB.
  void setLimit(size_t limit) { limit_ = static_cast<uint32_t>(limit); }
  // Bytes that may still be added.
  size_t room() const { return limit_ - size(); }
  bool full() const { return size() >= limit_; }

  const char* data() const { return data_ + start_; }
  char* data() { return data_ + start_; }
  std::string_view view() const { return {data(), size()}; }

  // Makes room at the tail for up to `want` bytes -- compacting, allocating
  // the block on first use, growing it, never past the limit -- and returns
  // the writable span's size (0 when the buffer is at its limit).
  size_t prepare(size_t want);
  char* tail() { return data_ + end_; }
  // REQUIRES: n <= what the last prepare() returned.
  void commit(size_t n) { end_ += static_cast<uint32_t>(n); }

  void consume(size_t n) {
    start_ += static_cast<uint32_t>(n);
    if (start_ == end_) start_ = end_ = 0;
  }
  // Appends as much of `s` as fits under the limit; returns the bytes appended.
  size_t append(std::string_view s);
  // Appends all of `s`, raising the limit first when it does not fit: for a
  // reply the owner wrote itself and sends whole, never for a peer's bytes.
  void appendWhole(std::string_view s) {
    if (s.size() > room()) setLimit(size() + s.size());
    append(s);
  }
  void clear() { start_ = end_ = 0; }
  void release();  // gives the block back; the buffer must be empty or discarded

 private:
  char* data_ = nullptr;
  uint32_t limit_;
  uint32_t cap_ = 0;
  uint32_t start_ = 0;
  uint32_t end_ = 0;
};

}  // namespace nsmp
