#include "http/request.h"

#include <gtest/gtest.h>

#include <string>

#include "http/head_scanner.h"

namespace nsmp::http {
namespace {

// Runs a raw head through the same steps as the proxy: scanner, llhttp,
// policy, rewrite. Returns the local reply, or kNone with `upstream` filled.
struct Outcome {
  Reply reply = Reply::kNone;
  std::string upstream;
  RequestFacts facts;
};

Outcome process(const std::string& raw) {
  Outcome o;
  HeadScanner scanner;
  RequestHead head;
  HeadStep step = readRequestHead(scanner, raw, &head);
  EXPECT_NE(step.progress, HeadProgress::kIncomplete) << raw;
  o.reply = step.reply;
  o.facts = head.facts;
  if (step.progress != HeadProgress::kComplete) return o;
  Buffer out;
  EXPECT_EQ(writeUpstreamHead(head.fields, head.facts, {"X-Neutron-Network-ID", "net-1"},
                              "192.0.2.5", out, 64 * 1024),
            Reply::kNone);
  if (head.facts.body == BodyFraming::kChunked) closeUpstreamHead(out, 0, 64 * 1024);
  o.upstream = std::string(out.view());
  return o;
}

class RequestPolicyTest : public ::testing::Test {
 protected:
  void expectReply(const std::string& raw, Reply want) {
    Outcome o = process(raw);
    EXPECT_EQ(replyInfo(o.reply).reason, std::string(replyInfo(want).reason)) << raw;
  }
  void expectUpstream(const std::string& raw, const std::string& want) {
    Outcome o = process(raw);
    ASSERT_EQ(o.reply, Reply::kNone) << replyInfo(o.reply).reason << " for " << raw;
    EXPECT_EQ(o.upstream, want) << raw;
  }
};

constexpr const char* kTail =
    "X-Neutron-Network-ID: net-1\r\nX-Forwarded-For: 192.0.2.5\r\nConnection: close\r\n";

TEST_F(RequestPolicyTest, PlainGetGetsIdentityAndForwardedFor) {
  expectUpstream("GET /latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\nAccept: */*\r\n\r\n",
                 std::string("GET /latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n"
                             "Accept: */*\r\n") +
                     kTail + "\r\n");
}

TEST_F(RequestPolicyTest, SpoofedIdentityHeadersAreDroppedInAnyCase) {
  std::string raw =
      "GET / HTTP/1.1\r\nHost: h\r\n"
      "x-neutron-network-id: other\r\nX-NEUTRON-ROUTER-ID: r\r\nX-OVN-Network-ID: o\r\n"
      "X-Instance-ID: i\r\nX-Instance-ID-Signature: s\r\nX-Tenant-ID: t\r\n"
      "X-Forwarded-For: 10.0.0.1\r\nForwarded: for=10.0.0.1\r\nX-Real-IP: 10.0.0.1\r\n"
      "X_Neutron_Router_ID: r2\r\nX-Other_Thing: z\r\nKeep: me\r\n\r\n";
  expectUpstream(raw, std::string("GET / HTTP/1.1\r\nHost: h\r\nKeep: me\r\n") + kTail + "\r\n");
}

TEST_F(RequestPolicyTest, HopByHopAndConnectionListedHeadersAreDropped) {
  std::string raw =
      "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\n"
      "Keep-Alive: timeout=5\r\nProxy-Connection: x\r\nTE: trailers\r\nTrailer: X\r\n"
      "Upgrade: websocket\r\nX-Fine: 1\r\n\r\n";
  expectUpstream(raw, std::string("GET / HTTP/1.1\r\nHost: h\r\nX-Fine: 1\r\n") + kTail + "\r\n");
}

TEST_F(RequestPolicyTest, ValuesLoseSurroundingWhitespace) {
  expectUpstream(
      "GET / HTTP/1.1\r\nHost: h\r\nX-A:   spaced value \t \r\n\r\n",
      std::string("GET / HTTP/1.1\r\nHost: h\r\nX-A: spaced value\r\n") + kTail + "\r\n");
}

TEST_F(RequestPolicyTest, ConnectionCannotStripHost) {
  expectUpstream("GET / HTTP/1.1\r\nHost: h\r\nConnection: Host\r\n\r\n",
                 std::string("GET / HTTP/1.1\r\nHost: h\r\n") + kTail + "\r\n");
}

TEST_F(RequestPolicyTest, BodiesAreReframedByTheProxy) {
  expectUpstream(
      "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n",
      std::string("POST /p HTTP/1.1\r\nHost: h\r\n") + kTail + "Content-Length: 5\r\n\r\n");
  // The metadata agent reads no chunked body: the head is left open and
  // closed with the decoded body's length (process() closes it with 0).
  expectUpstream(
      "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
      std::string("POST /p HTTP/1.1\r\nHost: h\r\n") + kTail + "Content-Length: 0\r\n\r\n");
}

TEST(UpstreamHeadLimits, AnOpenHeadLeavesRoomForItsLength) {
  // 95 fields + the proxy's 3 + Content-Length = 99 + Host = 100: fits;
  // one more and the Content-Length added later would make 101.
  for (int extra : {95, 96}) {
    std::string raw = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n";
    for (int i = 0; i < extra; ++i) raw += "X-F" + std::to_string(i) + ": v\r\n";
    raw += "\r\n";
    HeadScanner scanner;
    RequestHead head;
    ASSERT_EQ(readRequestHead(scanner, raw, &head).progress, HeadProgress::kComplete);
    Buffer out;
    Reply r = writeUpstreamHead(head.fields, head.facts, {"X-Neutron-Network-ID", "n"}, "192.0.2.5",
                                out, 64 * 1024);
    EXPECT_EQ(r, extra == 95 ? Reply::kNone : Reply::kTooManyHeaders) << extra;
  }
}

TEST_F(RequestPolicyTest, ExpectIsAnsweredNotForwarded) {
  Outcome o =
      process("POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  ASSERT_EQ(o.reply, Reply::kNone);
  EXPECT_TRUE(o.facts.expect_continue);
  EXPECT_EQ(o.upstream.find("Expect"), std::string::npos);
  expectReply("POST /p HTTP/1.1\r\nHost: h\r\nExpect: tea\r\nContent-Length: 2\r\n\r\n",
              Reply::kExpectationFailed);
}

TEST_F(RequestPolicyTest, AbsoluteFormForTheSameHostBecomesOriginForm) {
  expectUpstream("GET http://h/x?y HTTP/1.1\r\nHost: h\r\n\r\n",
                 std::string("GET /x?y HTTP/1.1\r\nHost: h\r\n") + kTail + "\r\n");
  expectUpstream("GET http://h HTTP/1.0\r\n\r\n",
                 std::string("GET / HTTP/1.0\r\nHost: h\r\n") + kTail + "\r\n");
  // RFC 9112 §3.2.1: an empty path is sent as "/", also before a query
  // (found by the fuzzer: "?y" went out as the request target).
  expectUpstream("GET http://h?y HTTP/1.1\r\nHost: h\r\n\r\n",
                 std::string("GET /?y HTTP/1.1\r\nHost: h\r\n") + kTail + "\r\n");
}

TEST_F(RequestPolicyTest, KeepAliveFollowsVersionAndConnection) {
  EXPECT_TRUE(process("GET / HTTP/1.1\r\nHost: h\r\n\r\n").facts.keep_alive);
  EXPECT_FALSE(process("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").facts.keep_alive);
  EXPECT_FALSE(process("GET / HTTP/1.0\r\n\r\n").facts.keep_alive);
  EXPECT_TRUE(process("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").facts.keep_alive);
}

struct BadCase {
  const char* raw;
  Reply reply;
};

TEST_F(RequestPolicyTest, RefusedRequests) {
  const BadCase cases[] = {
      {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
       Reply::kContentLengthAndTransferEncoding},
      {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
       Reply::kContentLengthAndTransferEncoding},
      {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       Reply::kInvalidTransferEncoding},
      {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
       Reply::kInvalidTransferEncoding},
      {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
       "\r\n\r\n",
       Reply::kInvalidTransferEncoding},
      {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
       Reply::kInvalidTransferEncoding},
      {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       Reply::kInvalidContentLength},
      {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", Reply::kInvalidContentLength},
      // Stricter than RFC 9110 §8.6 allows: even identical repeats are refused.
      {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
       Reply::kInvalidContentLength},
      {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", Reply::kInvalidContentLength},
      {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\n", Reply::kInvalidContentLength},
      {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n",
       Reply::kInvalidContentLength},
      {"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", Reply::kObsFold},
      {"GET / HTTP/1.1\r\nHost: h\nX: a\r\n\r\n", Reply::kBareCrOrLf},
      {"GET / HTTP/1.1\r\nHost : h\r\n\r\n", Reply::kInvalidHeaderName},
      {"GET / HTTP/1.1\r\nHost: h\r\nX\t: a\r\n\r\n", Reply::kInvalidHeaderName},
      {"GET / HTTP/1.1\r\nHost: h\r\n: a\r\n\r\n", Reply::kInvalidHeaderName},
      {"GET / HTTP/1.1\r\nHost: h\r\nX(y): a\r\n\r\n", Reply::kInvalidHeaderName},
      {"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n", Reply::kInvalidHeaderValue},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", Reply::kTransferEncodingOnHttp10},
      {"GET / HTTP/1.1\r\n\r\n", Reply::kMissingHost},
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", Reply::kDuplicateHost},
      {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", Reply::kInvalidRequest},
      {"GET http://other/ HTTP/1.1\r\nHost: h\r\n\r\n", Reply::kForeignAbsoluteUri},
      {"GET https://h/ HTTP/1.1\r\nHost: h\r\n\r\n", Reply::kInvalidRequest},
      {"GET x HTTP/1.1\r\nHost: h\r\n\r\n", Reply::kInvalidRequest},
      {"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", Reply::kConnectMethod},
      {"GET /\r\n\r\n", Reply::kHttp09},
      {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", Reply::kUnsupportedVersion},
      {"GET / HTTP/3.0\r\nHost: h\r\n\r\n", Reply::kUnsupportedVersion},
      {"GET / FOO/1.1\r\nHost: h\r\n\r\n", Reply::kInvalidRequest},
  };
  for (const BadCase& c : cases) expectReply(c.raw, c.reply);
}

// The rewritten head must itself pass the limits the proxy accepts: a client
// head with 100 fields would otherwise reach the agent with 103.
// The head the proxy would write for `raw`, which the policy must accept.
Reply rewrite(const std::string& raw, Buffer& out) {
  HeadScanner scanner;
  RequestHead head;
  EXPECT_EQ(readRequestHead(scanner, raw, &head).progress, HeadProgress::kComplete);
  return writeUpstreamHead(head.fields, head.facts, {"X-Neutron-Network-ID", "n"}, "192.0.2.5", out,
                           64 * 1024);
}

TEST(UpstreamHeadLimits, FieldCountIncludesTheProxysOwnFields) {
  for (int extra : {96, 97, 99}) {
    std::string raw = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; i < extra; ++i) raw += "X-F" + std::to_string(i) + ": v\r\n";
    raw += "\r\n";
    Buffer out;
    // Host + extra + identity + X-Forwarded-For + Connection.
    bool fits = extra + 4 <= 100;
    EXPECT_EQ(rewrite(raw, out), fits ? Reply::kNone : Reply::kTooManyHeaders) << extra;
    if (fits) {
      HeadScanner again;
      EXPECT_EQ(again.scan(out.view()), HeadScanner::State::kComplete);
    }
  }
}

TEST(UpstreamHeadLimits, HeaderBlockSizeIncludesTheProxysOwnFields) {
  std::string raw = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: ";
  raw += std::string(32 * 1024 - 30, 'a');
  raw += "\r\n\r\n";
  Buffer out;
  EXPECT_EQ(rewrite(raw, out), Reply::kHeadersTooLarge);
}

}  // namespace
}  // namespace nsmp::http
