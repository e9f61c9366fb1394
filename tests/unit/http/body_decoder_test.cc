#include "http/body_decoder.h"

#include <gtest/gtest.h>

#include <string>

namespace nsmp::http {
namespace {

class Collect final : public BodySink {
 public:
  void onBodyData(std::string_view d) override { body.append(d); }
  std::string body;
};

struct Outcome {
  BodyError error = BodyError::kNone;
  bool done = false;
  size_t consumed = 0;
  std::string body;
};

Outcome decodeWhole(BodyFraming f, const std::string& in, uint64_t length, uint64_t max_body) {
  BodyDecoder d;
  Collect sink;
  d.start(f, length, max_body);
  Outcome o;
  o.consumed = d.decode(in, sink);
  o.error = d.error();
  o.done = d.done();
  o.body = sink.body;
  return o;
}

// One byte per call, as a VM may send it: the decoder must resume where it
// stopped and reach the same verdict at the same byte.
Outcome decodeBytewise(BodyFraming f, const std::string& in, uint64_t length, uint64_t max_body) {
  BodyDecoder d;
  Collect sink;
  d.start(f, length, max_body);
  Outcome o;
  for (size_t i = 0; i < in.size() && !d.done() && !d.failed(); ++i) {
    o.consumed += d.decode(std::string_view(in).substr(i, 1), sink);
  }
  o.error = d.error();
  o.done = d.done();
  o.body = sink.body;
  return o;
}

struct Case {
  const char* name;
  std::string in;
  BodyError error;   // kNone: the body ends
  std::string body;  // with kNone: the decoded body
  size_t rest = 0;   // with kNone: bytes left after the body
  uint64_t max_body = UINT64_MAX;
};

void expectChunked(const Case& c) {
  for (bool bytewise : {false, true}) {
    Outcome o = bytewise ? decodeBytewise(BodyFraming::kChunked, c.in, 0, c.max_body)
                         : decodeWhole(BodyFraming::kChunked, c.in, 0, c.max_body);
    const char* how = bytewise ? " (byte by byte)" : " (whole)";
    EXPECT_EQ(o.error, c.error) << c.name << how;
    if (c.error == BodyError::kNone) {
      EXPECT_TRUE(o.done) << c.name << how;
      EXPECT_EQ(o.body, c.body) << c.name << how;
      EXPECT_EQ(c.in.size() - o.consumed, c.rest) << c.name << how;
    }
  }
}

TEST(BodyDecoderTest, ChunkedBodiesThatEnd) {
  const Case cases[] = {
      {"one chunk", "5\r\nhello\r\n0\r\n\r\n", BodyError::kNone, "hello"},
      {"two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", BodyError::kNone, "hello world"},
      {"empty", "0\r\n\r\n", BodyError::kNone, ""},
      {"upper hex", "A\r\n0123456789\r\n0\r\n\r\n", BodyError::kNone, "0123456789"},
      {"leading zeros", "0005\r\nhello\r\n0\r\n\r\n", BodyError::kNone, "hello"},
      {"extension", "5;a=b\r\nhello\r\n0\r\n\r\n", BodyError::kNone, "hello"},
      {"extensions, BWS, quoted", "5 ; a = \"q\\\"x\" ;b\r\nhello\r\n0;c\r\n\r\n", BodyError::kNone,
       "hello"},
      {"trailers", "5\r\nhello\r\n0\r\nA: 1\r\nB-c:\r\n\r\n", BodyError::kNone, "hello"},
      {"next message stays", "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", BodyError::kNone, "hello",
       16},
      {"body at max", "5\r\nhello\r\n0\r\n\r\n", BodyError::kNone, "hello", 0, 5},
  };
  for (const Case& c : cases) expectChunked(c);
}

TEST(BodyDecoderTest, ChunkedFramingErrors) {
  const Case cases[] = {
      {"bare CR at the end", "5\r\nhello\r\n0\r\n\rX", BodyError::kInvalidChunk, ""},
      {"bare LF after size", "5\nhello\r\n0\r\n\r\n", BodyError::kInvalidChunk, ""},
      {"bare LF after data", "5\r\nhello\n0\r\n\r\n", BodyError::kInvalidChunk, ""},
      {"CR CR LF after data", "5\r\nhello\r\r\n0\r\n\r\n", BodyError::kInvalidChunk, ""},
      {"data longer than size", "5\r\nhelloX\r\n0\r\n\r\n", BodyError::kInvalidChunk, ""},
      {"bare CR in extension", "5;a=b\rx\r\nhello\r\n0\r\n\r\n", BodyError::kInvalidChunk, ""},
      {"bare LF in trailer", "5\r\nhello\r\n0\r\nT: v\n\r\n", BodyError::kInvalidChunk, ""},
      {"bare LF after last", "0\n\r\n", BodyError::kInvalidChunk, ""},
      {"no digits", ";a\r\n", BodyError::kInvalidChunk, ""},
      {"not hex", "x5\r\n", BodyError::kInvalidChunk, ""},
      {"sign", "+5\r\n", BodyError::kInvalidChunk, ""},
      {"empty line", "\r\n", BodyError::kInvalidChunk, ""},
      {"control in name", "5;\x01=1\r\n", BodyError::kInvalidChunk, ""},
      {"empty ext name", "5;=b\r\n", BodyError::kInvalidChunk, ""},
      {"unterminated quote", "5;a=\"x\r\n", BodyError::kInvalidChunk, ""},
      {"trailing whitespace", "5 \r\n", BodyError::kInvalidChunk, ""},
      {"whitespace after name", "5;a \r\n", BodyError::kInvalidChunk, ""},
      {"64-bit overflow", "11111111111111111\r\n", BodyError::kInvalidChunk, ""},
      {"trailer obs-fold", "0\r\nA: 1\r\n  more\r\n\r\n", BodyError::kInvalidChunk, ""},
      {"trailer space before colon", "0\r\nA : 1\r\n\r\n", BodyError::kInvalidChunk, ""},
      {"trailer without colon", "0\r\nA\r\n\r\n", BodyError::kInvalidChunk, ""},
      {"trailer control byte", "0\r\nA: \x01\r\n\r\n", BodyError::kInvalidChunk, ""},
  };
  for (const Case& c : cases) expectChunked(c);
}

TEST(BodyDecoderTest, ChunkedLimits) {
  const std::string long_ext = "5;x=" + std::string(kMaxChunkLine, 'e') + "\r\nhello\r\n0\r\n\r\n";
  const std::string long_digits = std::string(kMaxChunkLine + 1, '0') + "5\r\n";
  std::string many_trailers = "0\r\n";
  for (uint32_t i = 0; i <= kMaxFields; ++i) many_trailers += "T" + std::to_string(i) + ": v\r\n";
  many_trailers += "\r\n";
  std::string big_trailer = "0\r\nT: " + std::string(kMaxHeaderBlock, 'v') + "\r\n\r\n";
  const Case cases[] = {
      {"long extension", long_ext, BodyError::kChunkLineTooLong, ""},
      {"long digits", long_digits, BodyError::kChunkLineTooLong, ""},
      {"too many trailer fields", many_trailers, BodyError::kTrailersTooLarge, ""},
      {"trailer section too large", big_trailer, BodyError::kTrailersTooLarge, ""},
      {"chunk over max_body", "6\r\nhello!\r\n0\r\n\r\n", BodyError::kBodyTooLarge, "", 0, 5},
      {"chunks over max_body", "3\r\nhel\r\n3\r\nlo!\r\n0\r\n\r\n", BodyError::kBodyTooLarge, "", 0,
       5},
  };
  for (const Case& c : cases) expectChunked(c);
}

TEST(BodyDecoderTest, ExactlyAtTheTrailerLimitsIsAccepted) {
  std::string in = "0\r\n";
  for (uint32_t i = 0; i < kMaxFields; ++i) in += "T: v\r\n";
  in += "\r\n";
  expectChunked({"100 trailer fields", in, BodyError::kNone, ""});
}

TEST(BodyDecoderTest, ContentLengthStopsAtItsEnd) {
  for (bool bytewise : {false, true}) {
    auto decode = bytewise ? decodeBytewise : decodeWhole;
    Outcome o = decode(BodyFraming::kLength, "helloGET", 5, UINT64_MAX);
    EXPECT_TRUE(o.done);
    EXPECT_EQ(o.body, "hello");
    EXPECT_EQ(o.consumed, 5u);
    EXPECT_EQ(decode(BodyFraming::kLength, "hel", 5, UINT64_MAX).done, false);
    EXPECT_EQ(decode(BodyFraming::kLength, "", 6, 5).error, BodyError::kBodyTooLarge);
  }
}

TEST(BodyDecoderTest, UntilCloseEndsAtFinishOnly) {
  BodyDecoder d;
  Collect sink;
  d.start(BodyFraming::kUntilClose);
  EXPECT_EQ(d.decode("abc", sink), 3u);
  EXPECT_FALSE(d.done());
  d.finish();
  EXPECT_TRUE(d.done());
  EXPECT_EQ(sink.body, "abc");
}

TEST(BodyDecoderTest, CloseBeforeTheEndIsTruncated) {
  for (BodyFraming f : {BodyFraming::kLength, BodyFraming::kChunked}) {
    BodyDecoder d;
    Collect sink;
    d.start(f, 10);
    d.decode(f == BodyFraming::kChunked ? "5\r\nhel" : "hel", sink);
    d.finish();
    EXPECT_EQ(d.error(), BodyError::kTruncated);
  }
}

TEST(BodyDecoderTest, NothingIsConsumedAfterAnError) {
  BodyDecoder d;
  Collect sink;
  d.start(BodyFraming::kChunked);
  EXPECT_EQ(d.decode("5\nhello", sink), 2u);
  EXPECT_TRUE(d.failed());
  EXPECT_EQ(d.decode("more", sink), 0u);
  EXPECT_EQ(sink.body, "");
}

}  // namespace
}  // namespace nsmp::http
