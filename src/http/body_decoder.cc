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
      if (length > max_body) return fail(BodyError::kBodyTooLarge);
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

void BodyDecoder::fail(BodyError e) {
  state_ = State::kError;
  error_ = e;
}

size_t BodyDecoder::decode(std::string_view in, BodySink& sink) {
  size_t i = 0;
  while (i < in.size()) {
    switch (state_) {
      case State::kDone:  // the rest belongs to the next message
      case State::kError:
        return i;
      case State::kLength:
      case State::kChunkData:
        i += takeData(in.substr(i), sink);
        break;
      case State::kUntilClose:
        return i + takeUntilClose(in.substr(i), sink);
      default:  // the framing, one byte at a time
        framingByte(static_cast<unsigned char>(in[i++]));
        break;
    }
  }
  return i;
}

size_t BodyDecoder::takeData(std::string_view in, BodySink& sink) {
  const size_t take = static_cast<size_t>(std::min<uint64_t>(in.size(), remaining_));
  sink.onBodyData(in.substr(0, take));
  remaining_ -= take;
  body_bytes_ += take;
  if (remaining_ == 0) state_ = state_ == State::kLength ? State::kDone : State::kDataCr;
  return take;
}

size_t BodyDecoder::takeUntilClose(std::string_view in, BodySink& sink) {
  if (in.size() > max_body_ - body_bytes_) {
    fail(BodyError::kBodyTooLarge);
    return 0;
  }
  sink.onBodyData(in);
  body_bytes_ += in.size();
  return in.size();
}

void BodyDecoder::framingByte(unsigned char c) {
  switch (state_) {
    case State::kChunkLine:
      chunkLineByte(c);
      break;
    case State::kChunkLineLf:
      if (c != '\n') return fail(BodyError::kInvalidChunk);
      endChunkLine();
      break;
    case State::kDataCr:
      expect(c, '\r', State::kDataLf);
      break;
    case State::kDataLf:
      if (c != '\n') return fail(BodyError::kInvalidChunk);
      startChunkLine();
      break;
    case State::kTrailerLine:
    case State::kTrailerName:
    case State::kTrailerValue:
    case State::kTrailerLf:
      trailerByte(c);
      break;
    case State::kFinalLf:
      expect(c, '\n', State::kDone);
      break;
    default:
      fail(BodyError::kInvalidChunk);  // unreachable: decode() handles the others
      break;
  }
}

void BodyDecoder::expect(unsigned char c, unsigned char want, State next) {
  if (c != want) return fail(BodyError::kInvalidChunk);
  state_ = next;
}

void BodyDecoder::startChunkLine() {
  state_ = State::kChunkLine;
  line_ = Line::kSize;
  size_ = 0;
  digits_ = line_bytes_ = 0;
}

void BodyDecoder::chunkLineByte(unsigned char c) {
  if (++line_bytes_ > kMaxChunkLine) return fail(BodyError::kChunkLineTooLong);
  if (c == '\r') {
    if (!chunkLineMayEnd()) return fail(BodyError::kInvalidChunk);
    state_ = State::kChunkLineLf;
  } else if (!chunkLineGrammar(c)) {
    fail(BodyError::kInvalidChunk);
  }
}

bool BodyDecoder::chunkLineMayEnd() const {
  switch (line_) {
    case Line::kSize:
      return digits_ > 0;
    case Line::kName:
    case Line::kToken:
    case Line::kAfterQuoted:
      return true;
    default:
      return false;
  }
}

bool BodyDecoder::chunkLineGrammar(unsigned char c) {
  switch (line_) {
    case Line::kSize:
      if (const int v = hexValue(c); v >= 0) return addSizeDigit(static_cast<unsigned>(v));
      return digits_ > 0 && afterSizeOrValue(c);
    case Line::kBws:
    case Line::kAfterQuoted:
      return afterSizeOrValue(c);
    case Line::kNameBws:
      if (isWs(c)) return true;
      return isTchar(c) && moveTo(Line::kName);
    case Line::kName:
      if (isTchar(c)) return true;
      return afterName(c);
    case Line::kAfterName:
      return afterName(c);
    case Line::kValueBws:
      if (isWs(c)) return true;
      if (isTchar(c)) return moveTo(Line::kToken);
      return c == '"' && moveTo(Line::kQuoted);
    case Line::kToken:
      if (isTchar(c)) return true;
      return afterSizeOrValue(c);
    case Line::kQuoted:
      if (c == '"') return moveTo(Line::kAfterQuoted);
      if (c == '\\') return moveTo(Line::kQuotedPair);
      return isQdtext(c);
    case Line::kQuotedPair:
      return isQuotedPairChar(c) && moveTo(Line::kQuoted);
  }
  return false;
}

bool BodyDecoder::addSizeDigit(unsigned value) {
  if (size_ > (UINT64_MAX >> 4)) return false;  // more than 64 bits
  size_ = size_ * 16 + value;
  ++digits_;
  return true;
}

bool BodyDecoder::afterSizeOrValue(unsigned char c) {
  if (isWs(c)) return moveTo(Line::kBws);
  return c == ';' && moveTo(Line::kNameBws);
}

bool BodyDecoder::afterName(unsigned char c) {
  if (isWs(c)) return moveTo(Line::kAfterName);
  if (c == '=') return moveTo(Line::kValueBws);
  return c == ';' && moveTo(Line::kNameBws);
}

void BodyDecoder::endChunkLine() {
  if (size_ == 0) {  // the last chunk: the trailer section follows
    state_ = State::kTrailerLine;
  } else if (size_ > max_body_ - body_bytes_) {
    fail(BodyError::kBodyTooLarge);
  } else {
    remaining_ = size_;
    state_ = State::kChunkData;
  }
}

void BodyDecoder::trailerByte(unsigned char c) {
  if (++trailer_bytes_ > kMaxHeaderBlock) return fail(BodyError::kTrailersTooLarge);
  switch (state_) {
    case State::kTrailerLine:
      trailerLineStart(c);
      break;
    case State::kTrailerName:
      if (c == ':') {
        state_ = State::kTrailerValue;
      } else if (!isTchar(c)) {  // also whitespace before the colon (§5.1)
        fail(BodyError::kInvalidChunk);
      }
      break;
    case State::kTrailerValue:
      if (c == '\r') {
        state_ = State::kTrailerLf;
      } else if (!isFieldValueByte(c)) {
        fail(BodyError::kInvalidChunk);
      }
      break;
    default:  // kTrailerLf
      expect(c, '\n', State::kTrailerLine);
      break;
  }
}

void BodyDecoder::trailerLineStart(unsigned char c) {
  if (c == '\r') {
    state_ = State::kFinalLf;
  } else if (!isTchar(c)) {  // also SP/HTAB: obs-fold (RFC 9112 §5.2)
    fail(BodyError::kInvalidChunk);
  } else if (++trailer_fields_ > kMaxFields) {
    fail(BodyError::kTrailersTooLarge);
  } else {
    state_ = State::kTrailerName;
  }
}

void BodyDecoder::finish() {
  if (state_ == State::kUntilClose) {
    state_ = State::kDone;
  } else if (state_ != State::kDone && state_ != State::kError) {
    fail(BodyError::kTruncated);
  }
}

}  // namespace nsmp::http
