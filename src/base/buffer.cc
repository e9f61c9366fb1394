#include "base/buffer.h"

#include <cstdlib>
#include <new>
#include <vector>

namespace nsmp {
namespace {

// Free blocks of kBlockSize, reused before asking malloc. Bounded so that a
// burst of connections does not pin memory forever.
struct BlockPool {
  static constexpr size_t kMaxFree = 32;  // 512 KiB kept for reuse at most
  std::vector<char*> free;
  ~BlockPool() {
    for (char* b : free) std::free(b);
  }
  char* get() {
    if (!free.empty()) {
      char* b = free.back();
      free.pop_back();
      return b;
    }
    char* b = static_cast<char*>(std::malloc(Buffer::kBlockSize));
    if (!b) throw std::bad_alloc();
    return b;
  }
  void put(char* b) {
    if (free.size() < kMaxFree) {
      free.push_back(b);
    } else {
      std::free(b);
    }
  }
};

thread_local BlockPool pool;

}  // namespace

size_t Buffer::prepare(size_t want) {
  const size_t limit = limit_;
  if (want > room()) want = room();
  if (!data_) {
    if (limit <= kBlockSize || want <= kBlockSize) {
      data_ = pool.get();
      cap_ = kBlockSize;
    } else {
      cap_ = static_cast<uint32_t>(limit);
      data_ = static_cast<char*>(std::malloc(cap_));
      if (!data_) throw std::bad_alloc();
    }
  }
  if (cap_ - end_ < want && start_ > 0) {  // compact
    std::memmove(data_, data_ + start_, size());
    end_ -= start_;
    start_ = 0;
  }
  if (cap_ - end_ < want && cap_ < limit) {  // grow, bounded by the limit
    size_t ncap = size_t{cap_} * 2;
    while (ncap - end_ < want && ncap < limit) ncap *= 2;
    if (ncap > limit) ncap = limit;
    char* n = static_cast<char*>(std::malloc(ncap));
    if (!n) throw std::bad_alloc();
    std::memcpy(n, data_, end_);
    if (cap_ == kBlockSize) {
      pool.put(data_);
    } else {
      std::free(data_);
    }
    data_ = n;
    cap_ = static_cast<uint32_t>(ncap);
  }
  // A block larger than the limit (the pooled one) still gives no more.
  size_t tail_room = cap_ - end_;
  return tail_room < room() ? tail_room : room();
}

size_t Buffer::append(std::string_view s) {
  size_t n = prepare(s.size());
  if (n > s.size()) n = s.size();
  if (n == 0) return 0;  // an empty view may carry a null pointer; memcpy must not see it
  std::memcpy(tail(), s.data(), n);
  commit(n);
  return n;
}

void Buffer::release() {
  if (!data_) return;
  if (cap_ == kBlockSize) {
    pool.put(data_);
  } else {
    std::free(data_);
  }
  data_ = nullptr;
  cap_ = start_ = end_ = 0;
}

}  // namespace nsmp
