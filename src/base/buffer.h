// A bounded byte buffer: [start, end) holds unread data inside one heap block.
// Blocks of the default size come from a per-thread free list, so a request
// costs no malloc in the steady state, and an idle connection holds no block
// at all (release() when empty). capacity never exceeds the limit the owner
// passes to reserve(): that is what bounds memory per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace nsmp {

class Buffer {
 public:
  static constexpr size_t kBlockSize = 16 * 1024;

  Buffer() = default;
  ~Buffer() { release(); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  size_t size() const { return end_ - start_; }
  bool empty() const { return end_ == start_; }
  size_t capacity() const { return cap_; }
  const char* data() const { return data_ + start_; }
  char* data() { return data_ + start_; }
  std::string_view view() const { return {data(), size()}; }

  // Room at the tail after compacting; allocates the block on first use and
  // grows (never past `limit`) when `want` more bytes do not fit.
  // Returns the writable span size (may be 0 when at the limit).
  size_t prepare(size_t want, size_t limit = kBlockSize);
  char* tail() { return data_ + end_; }
  size_t tailRoom() const { return cap_ - end_; }
  void commit(size_t n) { end_ += static_cast<uint32_t>(n); }

  void consume(size_t n) {
    start_ += static_cast<uint32_t>(n);
    if (start_ == end_) start_ = end_ = 0;
  }
  // Appends as much as fits under `limit`; returns the bytes appended.
  size_t append(std::string_view s, size_t limit = kBlockSize);
  void clear() { start_ = end_ = 0; }
  void release();  // gives the block back; the buffer must be empty or discarded

 private:
  char* data_ = nullptr;
  uint32_t cap_ = 0;
  uint32_t start_ = 0;
  uint32_t end_ = 0;
};

}  // namespace nsmp
