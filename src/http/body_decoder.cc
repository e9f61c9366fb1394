#include "http/body_decoder.h"

#include <algorithm>

#include "http/chars.h"

namespace nsmp::http {
namespace {

constexpr bool isWs(unsigned char c) { return c == ' ' || c == '\t'; }

// qdtext and the escaped characters of a quoted-string (RFC 9110 §5.6.4).
constexpr bool isQdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
         (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}
constexpr bool isQuotedPairChar(unsigned char c) {
  return c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7e) || c >= 0x80;
}

}  // namespace

BodyFraming bodyFraming(const HeadFields& head) {
  if (!head.body_follows) return BodyFraming::kNone;
  if (head.chunked) return BodyFraming::kChunked;
  if (head.has_content_length) return BodyFraming::kLength;
  if (head.until_close) return BodyFraming::kUntilClose;
  return BodyFraming::kNone;
}

void BodyDecoder::start(BodyFraming framing, uint64_t length, uint64_t max_body) {
  *this = BodyDecoder{};
  max_body_ = max_body;
  switch (framing) {
    case BodyFraming::kNone:
      state_ = State::kDone;
      return;
    case BodyFraming::kLength:
      if (length > max_body) {
        fail(BodyError::kBodyTooLarge, 0);
        return;
      }
      remaining_ = length;
      state_ = length > 0 ? State::kLength : State::kDone;
      return;
    case BodyFraming::kChunked:
      state_ = State::kChunkLine;
      return;
    case BodyFraming::kUntilClose:
      state_ = State::kUntilClose;
      return;
  }
}

size_t BodyDecoder::fail(BodyError e, size_t consumed) {
  state_ = State::kError;
  error_ = e;
  return consumed;
}

size_t BodyDecoder::decode(std::string_view in, BodySink& sink) {
  size_t i = 0;
  const size_t n = in.size();
  while (i < n) {
    switch (state_) {
      case State::kDone:
      case State::kError:
        return i;
      case State::kLength:
      case State::kChunkData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(n - i, remaining_));
        sink.onBodyData(in.substr(i, take));
        i += take;
        remaining_ -= take;
        body_bytes_ += take;
        if (remaining_ == 0) state_ = state_ == State::kLength ? State::kDone : State::kDataCr;
        continue;
      }
      case State::kUntilClose:
        if (n - i > max_body_ - body_bytes_) return fail(BodyError::kBodyTooLarge, i);
        sink.onBodyData(in.substr(i));
        body_bytes_ += n - i;
        return n;
      default:
        break;
    }
    // The framing, one byte at a time.
    const auto c = static_cast<unsigned char>(in[i++]);
    switch (state_) {
      case State::kChunkLine:
        if (++line_bytes_ > kMaxChunkLine) return fail(BodyError::kChunkLineTooLong, i);
        if (c == '\r') {
          const bool may_end = (line_ == Line::kSize && digits_ > 0) || line_ == Line::kName ||
                               line_ == Line::kToken || line_ == Line::kAfterQuoted;
          if (!may_end) return fail(BodyError::kInvalidChunk, i);
          state_ = State::kChunkLineLf;
        } else if (!chunkLineByte(c)) {
          return fail(BodyError::kInvalidChunk, i);
        }
        break;
      case State::kChunkLineLf:
        if (c != '\n') return fail(BodyError::kInvalidChunk, i);
        if (!endChunkLine()) return fail(BodyError::kBodyTooLarge, i);
        break;
      case State::kDataCr:
        if (c != '\r') return fail(BodyError::kInvalidChunk, i);
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (c != '\n') return fail(BodyError::kInvalidChunk, i);
        state_ = State::kChunkLine;
        line_ = Line::kSize;
        size_ = 0;
        digits_ = line_bytes_ = 0;
        break;
      case State::kTrailerLine:
      case State::kTrailerName:
      case State::kTrailerValue:
      case State::kTrailerLf:
        if (++trailer_bytes_ > kMaxHeaderBlock) return fail(BodyError::kTrailersTooLarge, i);
        if (state_ == State::kTrailerLine) {
          if (c == '\r') {
            state_ = State::kFinalLf;
          } else if (!isTchar(c)) {  // also SP/HTAB: obs-fold (RFC 9112 §5.2)
            return fail(BodyError::kInvalidChunk, i);
          } else if (++trailer_fields_ > kMaxFields) {
            return fail(BodyError::kTrailersTooLarge, i);
          } else {
            state_ = State::kTrailerName;
          }
        } else if (state_ == State::kTrailerName) {
          if (c == ':') {
            state_ = State::kTrailerValue;
          } else if (!isTchar(c)) {  // also whitespace before the colon (§5.1)
            return fail(BodyError::kInvalidChunk, i);
          }
        } else if (state_ == State::kTrailerValue) {
          if (c == '\r') {
            state_ = State::kTrailerLf;
          } else if (!isFieldValueByte(c)) {
            return fail(BodyError::kInvalidChunk, i);
          }
        } else {
          if (c != '\n') return fail(BodyError::kInvalidChunk, i);
          state_ = State::kTrailerLine;
        }
        break;
      case State::kFinalLf:
        if (c != '\n') return fail(BodyError::kInvalidChunk, i);
        state_ = State::kDone;
        return i;
      default:
        return fail(BodyError::kInvalidChunk, i);  // unreachable: handled above
    }
  }
  return i;
}

bool BodyDecoder::chunkLineByte(unsigned char c) {
  const bool ws = isWs(c);
  switch (line_) {
    case Line::kSize:
      if (int v = hexValue(c); v >= 0) {
        if (size_ > (UINT64_MAX >> 4)) return false;  // more than 64 bits
        size_ = size_ * 16 + static_cast<uint64_t>(v);
        ++digits_;
        return true;
      }
      if (digits_ == 0) return false;
      if (ws) {
        line_ = Line::kBws;
        return true;
      }
      if (c == ';') {
        line_ = Line::kNameBws;
        return true;
      }
      return false;
    case Line::kBws:
    case Line::kAfterQuoted:
      if (ws) {
        line_ = Line::kBws;
        return true;
      }
      if (c == ';') {
        line_ = Line::kNameBws;
        return true;
      }
      return false;
    case Line::kNameBws:
      if (ws) return true;
      if (isTchar(c)) {
        line_ = Line::kName;
        return true;
      }
      return false;
    case Line::kName:
    case Line::kAfterName:
      if (isTchar(c) && line_ == Line::kName) return true;
      if (ws) {
        line_ = Line::kAfterName;
        return true;
      }
      if (c == '=') {
        line_ = Line::kValueBws;
        return true;
      }
      if (c == ';') {
        line_ = Line::kNameBws;
        return true;
      }
      return false;
    case Line::kValueBws:
      if (ws) return true;
      if (isTchar(c)) {
        line_ = Line::kToken;
        return true;
      }
      if (c == '"') {
        line_ = Line::kQuoted;
        return true;
      }
      return false;
    case Line::kToken:
      if (isTchar(c)) return true;
      if (ws) {
        line_ = Line::kBws;
        return true;
      }
      if (c == ';') {
        line_ = Line::kNameBws;
        return true;
      }
      return false;
    case Line::kQuoted:
      if (c == '"') {
        line_ = Line::kAfterQuoted;
      } else if (c == '\\') {
        line_ = Line::kQuotedPair;
      } else if (!isQdtext(c)) {
        return false;
      }
      return true;
    case Line::kQuotedPair:
      if (!isQuotedPairChar(c)) return false;
      line_ = Line::kQuoted;
      return true;
  }
  return false;
}

bool BodyDecoder::endChunkLine() {
  if (size_ == 0) {  // the last chunk: the trailer section follows
    state_ = State::kTrailerLine;
    return true;
  }
  if (size_ > max_body_ - body_bytes_) return false;
  remaining_ = size_;
  state_ = State::kChunkData;
  return true;
}

void BodyDecoder::finish() {
  if (state_ == State::kUntilClose) {
    state_ = State::kDone;
  } else if (state_ != State::kDone && state_ != State::kError) {
    fail(BodyError::kTruncated, 0);
  }
}

}  // namespace nsmp::http
