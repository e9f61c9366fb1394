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
    if (!cr_ && !atFieldLineStart()) {
      const size_t end = ordinaryRunEnd(data);
      if (end != pos_) {
        if (State s = takeRun(end); s != State::kIncomplete) return s;
        continue;
      }
    }
    const State s = cr_ ? byteAfterCr(data) : byteToDecide(static_cast<unsigned char>(data[pos_]));
    if (s != State::kIncomplete) return s;
  }
  return State::kIncomplete;
}

// The end of the run of ordinary bytes at pos_.
size_t HeadScanner::ordinaryRunEnd(std::string_view data) const {
  size_t end = pos_;
  const size_t size = data.size();
  const char* p = data.data();
  while (end < size && !special(static_cast<unsigned char>(p[end]))) ++end;
  return end;
}

// Accepts the run of ordinary bytes [pos_, end).
HeadScanner::State HeadScanner::takeRun(size_t end) {
  if (overLimit(end)) return failLimit();
  pos_ = end;
  return State::kIncomplete;
}

// The byte after a CR: the LF that ends a line.
HeadScanner::State HeadScanner::byteAfterCr(std::string_view data) {
  if (data[pos_] != '\n') return fail(Reply::kBareCrOrLf);
  cr_ = false;
  const size_t line_len = pos_ - 1 - line_start_;
  ++pos_;
  if (in_start_line_) return endStartLine(data, line_len);
  if (line_len == 0) return State::kComplete;  // the empty line ends the head
  if (++fields_ > limits_.max_fields) return fail(Reply::kTooManyHeaders);
  line_start_ = pos_;
  return State::kIncomplete;
}

// The start line (or an empty line before it) ended, its CRLF scanned.
HeadScanner::State HeadScanner::endStartLine(std::string_view data, size_t line_len) {
  if (line_len == 0) {  // RFC 9112 §2.2: ignore an empty line before the request
    if (pos_ > 4) return fail(Reply::kInvalidRequest);
    line_start_ = pos_;
    return State::kIncomplete;
  }
  // HTTP/0.9's "GET /path" has no version and no head to wait for.
  std::string_view line = data.substr(line_start_, line_len);
  if (request_ && line.find(' ') == line.rfind(' ')) return fail(Reply::kHttp09);
  in_start_line_ = false;
  block_start_ = pos_;
  line_start_ = pos_;
  return State::kIncomplete;
}

// A byte the fast path left: a control character, or a field line's first byte.
HeadScanner::State HeadScanner::byteToDecide(unsigned char c) {
  if (c == '\r') {
    cr_ = true;
  } else if (c == '\n') {
    return fail(Reply::kBareCrOrLf);
  } else if (special(c)) {
    return fail(in_start_line_ ? Reply::kInvalidRequest : Reply::kInvalidHeaderValue);
  } else if (atFieldLineStart() && (c == ' ' || c == '\t')) {
    return fail(Reply::kObsFold);
  }
  ++pos_;
  if (overLimit(pos_)) return failLimit();
  return State::kIncomplete;
}

}  // namespace nsmp::http
