#include "http/head_scanner.h"

namespace nsmp::http {

namespace {

// Bytes that need a decision: CR, LF and the other controls except HTAB.
constexpr bool special(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

}  // namespace

HeadScanner::State HeadScanner::scan(std::string_view data) {
  while (pos_ < data.size()) {
    // Fast path: a run of ordinary bytes, checked against the size limit
    // once for the run rather than once per byte. A field line must not
    // start with SP/HTAB, so line starts take the byte-by-byte path below.
    if (!cr_ && !(pos_ == line_start_ && !in_start_line_)) {
      size_t end = pos_;
      const size_t size = data.size();
      const char* p = data.data();
      while (end < size && !special(static_cast<unsigned char>(p[end]))) ++end;
      if (end != pos_) {
        if (in_start_line_ ? end - line_start_ > limits_.max_start_line
                           : end - block_start_ > limits_.max_header_block) {
          return fail(in_start_line_ ? Reply::kUriTooLong : Reply::kHeadersTooLarge);
        }
        pos_ = end;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(data[pos_]);
    if (cr_) {
      if (c != '\n') return fail(Reply::kBareCrOrLf);
      cr_ = false;
      const size_t line_len = pos_ - 1 - line_start_;
      ++pos_;
      if (in_start_line_) {
        if (line_len == 0) {  // RFC 9112 §2.2: ignore an empty line before the request
          if (pos_ > 4) return fail(Reply::kInvalidRequest);
          line_start_ = pos_;
          continue;
        }
        // HTTP/0.9's "GET /path" has no version and no head to wait for.
        std::string_view line = data.substr(line_start_, line_len);
        if (request_ && line.find(' ') == line.rfind(' ')) return fail(Reply::kHttp09);
        in_start_line_ = false;
        block_start_ = pos_;
      } else if (line_len == 0) {
        return State::kComplete;
      } else if (++fields_ > limits_.max_fields) {
        return fail(Reply::kTooManyHeaders);
      }
      line_start_ = pos_;
      continue;
    }
    if (c == '\r') {
      cr_ = true;
    } else if (c == '\n') {
      return fail(Reply::kBareCrOrLf);
    } else if (special(c)) {
      return fail(in_start_line_ ? Reply::kInvalidRequest : Reply::kInvalidHeaderValue);
    } else if (pos_ == line_start_ && !in_start_line_ && (c == ' ' || c == '\t')) {
      return fail(Reply::kObsFold);
    }
    ++pos_;
    if (in_start_line_) {
      if (pos_ - line_start_ - cr_ > limits_.max_start_line) return fail(Reply::kUriTooLong);
    } else if (pos_ - block_start_ > limits_.max_header_block) {
      return fail(Reply::kHeadersTooLarge);
    }
  }
  return State::kIncomplete;
}

}  // namespace nsmp::http
