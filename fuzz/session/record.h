// A byte log kept outside the heap (an anonymous mapping), so that what the
// fuzzer records of each stream does not count as the proxy's memory when the
// fuzzer checks how much the proxy holds per connection.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstring>
#include <string_view>

namespace nsmp::fuzz {

class Record {
 public:
  static constexpr size_t kCapacity = 16 << 20;  // reserved, touched only as used

  Record() {
    void* p = ::mmap(nullptr, kCapacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    data_ = p == MAP_FAILED ? nullptr : static_cast<char*>(p);
  }
  ~Record() {
    if (data_) ::munmap(data_, kCapacity);
  }
  Record(const Record&) = delete;
  Record& operator=(const Record&) = delete;

  // Appends; beyond the capacity the record is marked incomplete.
  void append(std::string_view s) {
    if (!data_ || size_ + s.size() > kCapacity) {
      overflow_ = true;
      return;
    }
    std::memcpy(data_ + size_, s.data(), s.size());
    size_ += s.size();
  }
  std::string_view view() const { return {data_ ? data_ : "", size_}; }
  bool complete() const { return !overflow_; }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  bool overflow_ = false;
};

}  // namespace nsmp::fuzz
