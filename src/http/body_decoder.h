// Decodes one message body as it arrives (RFC 9112 §6.3, §7.1), strictly and
// within limits, and hands the body bytes to a BodySink. One decoder belongs
// to one connection and holds all of its body state; nothing is shared.
//
// Strict: every line of the chunked framing (chunk-size line, the CRLF after
// the data, trailer field lines, the final empty line) ends in CRLF -- a bare
// CR or LF anywhere is an error, since another hop may frame differently;
// extensions follow the grammar of §7.1.1; trailer fields follow §5's field
// syntax with no obs-fold. Bounded: a chunk-size line is at most
// kMaxChunkLine bytes, the trailer section at most kMaxHeaderBlock bytes and
// kMaxFields fields, the decoded body at most the caller's max_body.
// Trailers are validated and counted, never stored or forwarded: the proxy
// frames what it sends itself.
#pragma once

#include <cstdint>
#include <string_view>

#include "http/head_parser.h"

namespace nsmp::http {

enum class BodyFraming : uint8_t {
  kNone,        // the message ended with its head
  kLength,      // Content-Length
  kChunked,     // Transfer-Encoding: chunked
  kUntilClose,  // a response body that ends when the connection does
};

// The framing a parsed head declares for its body.
BodyFraming bodyFraming(const HeadFields& head);

enum class BodyError : uint8_t {
  kNone,
  kInvalidChunk,      // the chunked framing breaks its grammar (also bare CR/LF)
  kChunkLineTooLong,  // a chunk-size line over kMaxChunkLine
  kTrailersTooLarge,  // trailer section over kMaxHeaderBlock bytes or kMaxFields
  kBodyTooLarge,      // more than max_body decoded bytes
  kTruncated,         // the peer closed before the body ended
};

class BodySink {
 public:
  virtual void onBodyData(std::string_view data) = 0;

 protected:
  ~BodySink() = default;
};

class BodyDecoder {
 public:
  // Starts a body. `length` is the Content-Length (kLength only).
  void start(BodyFraming framing, uint64_t length = 0, uint64_t max_body = UINT64_MAX);
  // Starts the body `head` declares.
  void start(const HeadFields& head, uint64_t max_body = UINT64_MAX) {
    start(bodyFraming(head), head.content_length, max_body);
  }

  // Decodes from the front of `in`, handing body bytes to `sink`. Returns the
  // bytes consumed: all of `in`, or fewer when the body ended (the rest
  // belongs to the next message) or an error was found.
  size_t decode(std::string_view in, BodySink& sink);
  // The peer closed its side: ends a kUntilClose body, else kTruncated.
  void finish();

  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kError; }
  BodyError error() const { return error_; }
  uint64_t bodyBytes() const { return body_bytes_; }

 private:
  // Each state says what the next byte must be.
  enum class State : uint8_t {
    kDone,          // no body in progress; decode() consumes nothing
    kLength,        // remaining_ > 0 bytes of a Content-Length body are due
    kUntilClose,    // every byte until the peer closes is body
    kChunkLine,     // in a chunk-size line; line_ says where in its grammar
    kChunkLineLf,   // CR ended the chunk-size line: LF must follow
    kChunkData,     // remaining_ > 0 bytes of the current chunk are due
    kDataCr,        // the chunk's data ended: CR must follow
    kDataLf,        // ... then LF
    kTrailerLine,   // at the start of a trailer line: CR (end) or a name
    kTrailerName,   // in a trailer field name: tchar or ':'
    kTrailerValue,  // in a trailer field value: field-vchar, SP, HTAB or CR
    kTrailerLf,     // CR ended a trailer field line: LF must follow
    kFinalLf,       // CR of the empty line that ends the message: LF must follow
    kError,         // error_ says why; decode() consumes nothing
  };
  // Where a chunk-size line is (RFC 9112 §7.1.1: chunk-size [ chunk-ext ] CRLF,
  // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )).
  enum class Line : uint8_t {
    kSize,         // hex digits
    kBws,          // BWS after the size or an extension: more BWS or ';'
    kNameBws,      // after ';': BWS, then the name's first tchar
    kName,         // in a name
    kAfterName,    // BWS after a name: more BWS, '=' or ';'
    kValueBws,     // after '=': BWS, then a token or a quoted-string
    kToken,        // in a token value
    kQuoted,       // in a quoted-string
    kQuotedPair,   // after '\' in a quoted-string
    kAfterQuoted,  // after the closing quote
  };

  // The steps of decode() (body_decoder.cc). A step that finds an error
  // goes to kError (fail()), which ends decode().
  size_t takeData(std::string_view in, BodySink& sink);        // kLength, kChunkData
  size_t takeUntilClose(std::string_view in, BodySink& sink);  // kUntilClose
  void framingByte(unsigned char c);  // a byte of the chunked framing, by state_
  void expect(unsigned char c, unsigned char want, State next);  // c must be `want`, then `next`
  void chunkLineByte(unsigned char c);                           // kChunkLine
  bool chunkLineMayEnd() const;            // may CR end the chunk-size line here?
  void endChunkLine();                     // its LF: the chunk's data or the trailers follow
  void startChunkLine();                   // the chunk's data and its CRLF ended
  void trailerByte(unsigned char c);       // kTrailerLine .. kTrailerLf
  void trailerLineStart(unsigned char c);  // kTrailerLine
  // The grammar of a chunk-size line (line_), byte by byte: false when `c`
  // breaks it.
  bool chunkLineGrammar(unsigned char c);
  bool addSizeDigit(unsigned value);       // false: more than 64 bits
  bool afterSizeOrValue(unsigned char c);  // BWS or ';'
  bool afterName(unsigned char c);         // BWS, '=' or ';'
  // Moves the chunk-size line to `next`; true: the byte was valid.
  bool moveTo(Line next) {
    line_ = next;
    return true;
  }
  void fail(BodyError e);

  State state_ = State::kDone;
  Line line_ = Line::kSize;
  BodyError error_ = BodyError::kNone;
  uint64_t remaining_ = 0;
  uint64_t size_ = 0;  // the chunk size being read
  uint64_t body_bytes_ = 0;
  uint64_t max_body_ = UINT64_MAX;
  uint32_t digits_ = 0;
  uint32_t line_bytes_ = 0;     // bytes of the current chunk-size line
  uint32_t trailer_bytes_ = 0;  // bytes of the trailer section so far
  uint32_t trailer_fields_ = 0;
};

}  // namespace nsmp::http
