// Writes one message head into a Buffer under a byte limit, counting its
// fields, and keeps it within the limits the proxy itself accepts (limits.h): a head
// the proxy forwards grows by its own fields (identity, X-Forwarded-For,
// framing, Connection), and whatever the peer sent, the next hop must never
// get a head the proxy would refuse (nor one Python's http.client refuses:
// it stops at 100 fields). Used for the agent's request and the VM's response.
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>

#include "base/buffer.h"
#include "http/limits.h"
#include "http/reply.h"

namespace nsmp::http {

class HeadWriter {
 public:
  HeadWriter(Buffer& out, size_t limit) : out_(out), limit_(limit) {}

  // A piece of the start line; endStartLine() adds its CRLF.
  HeadWriter& put(std::string_view s) {
    if (out_.append(s, limit_) != s.size()) ok_ = false;
    return *this;
  }
  void endStartLine() {
    put("\r\n");
    block_start_ = out_.size();
  }
  void field(std::string_view name, std::string_view value) {
    put(name).put(": ").put(value).put("\r\n");
    ++fields_;
  }
  void field(std::string_view name, uint64_t value) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    field(name, std::string_view(digits, static_cast<size_t>(end - digits)));
  }
  // Ends the head: kNone, or the 431 reply naming the limit it would break
  // (also kHeadersTooLarge when it did not fit in the buffer limit).
  Reply finish() {
    put("\r\n");
    return check(0, 0);
  }
  // Leaves the head open for one more field of at most `field_bytes` bytes
  // (CRLF included) and the empty line; the limits are checked with them.
  Reply finishOpen(size_t field_bytes) { return check(1, field_bytes + 2); }

 private:
  Reply check(uint32_t more_fields, size_t more_bytes) const {
    if (fields_ + more_fields > kMaxFields) return Reply::kTooManyHeaders;
    if (!ok_ || out_.size() + more_bytes - block_start_ > kMaxHeaderBlock ||
        out_.size() + more_bytes > limit_) {
      return Reply::kHeadersTooLarge;
    }
    return Reply::kNone;
  }

  Buffer& out_;
  size_t limit_;
  size_t block_start_ = 0;
  uint32_t fields_ = 0;
  bool ok_ = true;
};

}  // namespace nsmp::http
