// Finds the end of a message head (the empty line) while enforcing, byte by
// byte, the rules llhttp leaves to us or that must hold before any parsing:
//  - every line ends in CRLF: a bare CR or a bare LF is refused (RFC 9112 §2.2
//    allows recipients to accept bare LF; a proxy must not, since the next hop
//    may frame differently -- the classic smuggling split);
//  - no obs-fold (a field line starting with SP/HTAB, RFC 9112 §5.2);
//  - no control characters other than HTAB;
//  - size limits: the start line and the header block, and the field count.
// Incremental: feed it the bytes as they arrive; it resumes where it stopped,
// so byte-at-a-time delivery costs O(n) in total.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/limits.h"
#include "http/reply.h"

namespace nsmp::http {

struct HeadLimits {
  uint32_t max_start_line = kMaxStartLine;
  uint32_t max_header_block = kMaxHeaderBlock;
  uint32_t max_fields = kMaxFields;
};

class HeadScanner {
 public:
  enum class State : uint8_t { kIncomplete, kComplete, kError };

  explicit HeadScanner(HeadLimits limits = {}, bool request = true)
      : limits_(limits), request_(request) {}
  void reset() { *this = HeadScanner(limits_, request_); }

  // `data` is the whole head so far (the same prefix as before, plus more).
  State scan(std::string_view data);

  // With kComplete: the head is data[0, headEnd()) including the empty line.
  size_t headEnd() const { return pos_; }
  Reply error() const { return error_; }
  bool started() const { return pos_ > 0; }

 private:
  // The steps of scan() (head_scanner.cc). Those returning a State return
  // kIncomplete to go on scanning, else the result of scan().
  size_t ordinaryRunEnd(std::string_view data) const;
  State takeRun(size_t end);
  State byteAfterCr(std::string_view data);
  State endStartLine(std::string_view data, size_t line_len);
  State byteToDecide(unsigned char c);

  // At a field line's first byte, which must not be SP/HTAB (obs-fold).
  bool atFieldLineStart() const { return pos_ == line_start_ && !in_start_line_; }
  // The size limit of the start line or the header block, checked with the
  // scan at `end` (a pending CR does not count towards the start line).
  bool overLimit(size_t end) const {
    return in_start_line_ ? end - line_start_ - static_cast<size_t>(cr_) > limits_.max_start_line
                          : end - block_start_ > limits_.max_header_block;
  }
  State failLimit() { return fail(in_start_line_ ? Reply::kUriTooLong : Reply::kHeadersTooLarge); }
  State fail(Reply r) {
    error_ = r;
    return State::kError;
  }

  HeadLimits limits_;
  size_t pos_ = 0;          // next byte to scan
  size_t line_start_ = 0;   // first byte of the current line
  size_t block_start_ = 0;  // first byte after the start line
  uint32_t fields_ = 0;
  bool request_ = true;  // a request line (else a status line)
  bool in_start_line_ = true;
  bool cr_ = false;  // previous byte was CR
  Reply error_ = Reply::kNone;
};

}  // namespace nsmp::http
