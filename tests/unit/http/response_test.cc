#include "http/response.h"

#include <gtest/gtest.h>

#include <string>

#include "http/body_decoder.h"
#include "http/head_scanner.h"

namespace nsmp::http {
namespace {

// Parses an upstream response head and body as the proxy does, and returns
// exactly what the client would receive.
class Collect final : public BodySink {
 public:
  Collect(Framing f, Buffer& out) : f_(f), out_(out) {}
  void onBodyData(std::string_view d) override { encodeBody(f_, d, out_, 1 << 20); }

 private:
  Framing f_;
  Buffer& out_;
};

struct Relay {
  std::string client;
  ClientFraming framing;
};

Relay relay(const std::string& raw, bool head_request, uint8_t client_minor, bool keep_alive,
            bool eof_after) {
  HeadScanner scanner(HeadLimits{}, /*request=*/false);
  ResponseHead head;
  EXPECT_EQ(readResponseHead(scanner, raw, head_request, &head).progress, HeadProgress::kComplete)
      << raw;
  const HeadFields& fields = head.fields;
  Relay r;
  r.framing = chooseClientFraming(fields, head_request, client_minor, keep_alive);
  Buffer out;
  EXPECT_TRUE(writeClientHead(fields, r.framing, client_minor, out, 1 << 20));
  Collect sink(r.framing.framing, out);
  BodyDecoder decoder;
  decoder.start(fields);
  std::string_view body = std::string_view(raw).substr(head.size);
  decoder.decode(body, sink);
  EXPECT_FALSE(decoder.failed());
  if (eof_after) decoder.finish();
  EXPECT_TRUE(decoder.done());
  encodeBodyEnd(r.framing.framing, out, 1 << 20);
  r.client = std::string(out.view());
  return r;
}

TEST(ResponseTest, ContentLengthPassesThroughAndKeepsAlive) {
  Relay r = relay(
      "HTTP/1.1 200 OK\r\nContent-Type: a\r\nContent-Length: 2\r\nConnection: close"
      "\r\n\r\nhi",
      false, 1, true, false);
  EXPECT_EQ(r.client, "HTTP/1.1 200 OK\r\nContent-Type: a\r\nContent-Length: 2\r\n\r\nhi");
}

TEST(ResponseTest, CloseDelimitedIsRechunkedForHttp11) {
  Relay r = relay("HTTP/1.0 200 OK\r\nX: y\r\n\r\nhello", false, 1, true, true);
  EXPECT_EQ(r.client,
            "HTTP/1.1 200 OK\r\nX: y\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_TRUE(r.framing.keep_alive);
}

TEST(ResponseTest, CloseDelimitedStaysSoForHttp10) {
  Relay r = relay("HTTP/1.0 200 OK\r\n\r\nhello", false, 0, true, true);
  EXPECT_EQ(r.client, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello");
}

TEST(ResponseTest, ChunkedTrailersAreNotForwarded) {
  Relay r = relay(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n"
      "3\r\nabc\r\n0\r\nX-T: secret\r\n\r\n",
      false, 1, true, false);
  EXPECT_EQ(r.client, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
}

TEST(ResponseTest, HeadAnd304KeepTheirContentLengthButNoBody) {
  Relay r = relay("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true, 1, true, false);
  EXPECT_EQ(r.client, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
  Relay n = relay("HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n", false, 1, true, false);
  EXPECT_EQ(n.client, "HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n");
  Relay z = relay("HTTP/1.1 204 No Content\r\n\r\n", false, 1, false, false);
  EXPECT_EQ(z.client, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
}

// RFC 9112 §6.3 (1): 204 and 304 end with their head whatever framing they
// claim; the bytes after it are no body (found by the response fuzzer).
TEST(ResponseTest, NoContentAndNotModifiedEndAtTheirHead) {
  for (const char* raw : {"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
                          "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello",
                          "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"}) {
    std::string s(raw);
    HeadScanner scanner(HeadLimits{}, /*request=*/false);
    ResponseHead head;
    ASSERT_EQ(readResponseHead(scanner, s, false, &head).progress, HeadProgress::kComplete);
    const HeadFields& fields = head.fields;
    EXPECT_FALSE(fields.body_follows) << raw;
    ClientFraming f = chooseClientFraming(fields, false, 1, true);
    Buffer out;
    ASSERT_TRUE(writeClientHead(fields, f, 1, out, 1 << 20));
    // The status line, no framing, no Content-Length, nothing after.
    EXPECT_EQ(std::string(out.view()), s.substr(0, s.find("\r\n")) + "\r\n\r\n") << raw;
  }
}

TEST(ResponseTest, OnlyStatusesFrom100To599ExceptSwitchingAreRelayed) {
  HeadFields h;
  for (int status : {0, 99, 101, 600, 999}) {
    h.status = status;
    EXPECT_FALSE(relayableResponse(h)) << status;
  }
  for (int status : {100, 103, 200, 404, 599}) {
    h.status = status;
    EXPECT_TRUE(relayableResponse(h)) << status;
  }
  h.status = 200;
  h.major = 2;
  EXPECT_FALSE(relayableResponse(h));
}

TEST(ResponseTest, ClientHeadStaysWithinTheFieldLimit) {
  for (int forwarded : {98, 99}) {
    std::string raw = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < forwarded - 1; ++i) raw += "X-" + std::to_string(i) + ": v\r\n";
    raw += "Content-Length: 0\r\n\r\n";
    HeadScanner scanner(HeadLimits{}, /*request=*/false);
    ResponseHead head;
    ASSERT_EQ(readResponseHead(scanner, raw, false, &head).progress, HeadProgress::kComplete);
    ClientFraming f = chooseClientFraming(head.fields, false, 1, false);
    Buffer out;
    // forwarded - 1 X- fields + Content-Length + Connection: close.
    EXPECT_EQ(writeClientHead(head.fields, f, 1, out, 1 << 20), forwarded + 1 <= 100);
  }
}

TEST(ResponseTest, Http10ClientAskingKeepAliveIsToldSo) {
  Relay r = relay("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, 0, true, false);
  EXPECT_EQ(r.client, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
}

TEST(ResponseTest, InterimResponsesKeepOnlyEndToEndHeaders) {
  HeadScanner scanner(HeadLimits{}, /*request=*/false);
  std::string raw = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\nConnection: x\r\nX: 1\r\n\r\n";
  ResponseHead head;
  ASSERT_EQ(readResponseHead(scanner, raw, false, &head).progress, HeadProgress::kComplete);
  Buffer out;
  ASSERT_TRUE(writeInterimHead(head.fields, out, 4096));
  EXPECT_EQ(out.view(), "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n");
}

TEST(ResponseTest, LocalReplyNamesItsReason) {
  Buffer out;
  writeLocalReply(Reply::kObsFold, false, false, out);
  EXPECT_EQ(out.view(),
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 27\r\n"
            "Connection: close\r\n\r\n400 Bad Request (obs_fold)\n");
}

// A reply to HEAD has no body; a body would be read as the next response
// (found by the session fuzzer: a 429 kept the connection after a HEAD).
TEST(ResponseTest, LocalReplyToHeadHasNoBody) {
  Buffer out;
  writeLocalReply(Reply::kRateLimited, true, true, out);
  EXPECT_EQ(out.view(),
            "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nContent-Length: 37\r\n"
            "\r\n");
}

TEST(ResponseTest, EveryReplyHasAStatusAndAWord) {
  for (size_t i = 1; i < static_cast<size_t>(Reply::kCount); ++i) {
    const ReplyInfo& info = replyInfo(static_cast<Reply>(i));
    EXPECT_GE(info.status, 400) << i;
    EXPECT_NE(std::string(info.reason), "-") << i;
  }
}

}  // namespace
}  // namespace nsmp::http
