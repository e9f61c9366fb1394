#include "http/head_scanner.h"

#include <gtest/gtest.h>

#include <string>

namespace nsmp::http {
namespace {

struct Case {
  const char* name;
  std::string input;
  HeadScanner::State state;
  Reply error;
};

std::string repeat(char c, size_t n) { return std::string(n, c); }

// Feeds `input` whole, and again one byte at a time (the scanner must resume
// where it stopped and reach the same verdict at the same offset).
void expectScan(const Case& c) {
  HeadScanner whole;
  HeadScanner::State s1 = whole.scan(c.input);
  EXPECT_EQ(s1, c.state) << c.name << ": " << c.input;
  if (s1 == HeadScanner::State::kError) {
    EXPECT_EQ(whole.error(), c.error) << c.name;
  }

  HeadScanner bytewise;
  HeadScanner::State s2 = HeadScanner::State::kIncomplete;
  for (size_t i = 1; i <= c.input.size() && s2 == HeadScanner::State::kIncomplete; ++i) {
    s2 = bytewise.scan(std::string_view(c.input).substr(0, i));
  }
  EXPECT_EQ(s2, c.state) << c.name << " (byte by byte)";
  if (s2 == HeadScanner::State::kError) {
    EXPECT_EQ(bytewise.error(), c.error) << c.name;
  }
  if (s1 == HeadScanner::State::kComplete) {
    EXPECT_EQ(whole.headEnd(), bytewise.headEnd());
  }
}

TEST(HeadScannerTest, Table) {
  const Case cases[] = {
      {"simple", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", HeadScanner::State::kComplete, Reply::kNone},
      {"no fields", "GET / HTTP/1.0\r\n\r\n", HeadScanner::State::kComplete, Reply::kNone},
      {"incomplete", "GET / HTTP/1.1\r\nHost: a\r\n", HeadScanner::State::kIncomplete,
       Reply::kNone},
      {"leading empty line", "\r\nGET / HTTP/1.1\r\n\r\n", HeadScanner::State::kComplete,
       Reply::kNone},
      {"bare LF ends a field", "GET / HTTP/1.1\r\nHost: a\n\r\n", HeadScanner::State::kError,
       Reply::kBareCrOrLf},
      {"bare LF ends the head", "GET / HTTP/1.1\r\nHost: a\r\n\n", HeadScanner::State::kError,
       Reply::kBareCrOrLf},
      {"bare LF in request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", HeadScanner::State::kError,
       Reply::kBareCrOrLf},
      {"bare CR in a value", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", HeadScanner::State::kError,
       Reply::kBareCrOrLf},
      {"obs-fold", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", HeadScanner::State::kError,
       Reply::kObsFold},
      {"obs-fold with tab", "GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", HeadScanner::State::kError,
       Reply::kObsFold},
      {"space before first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", HeadScanner::State::kError,
       Reply::kObsFold},
      {"NUL in value", std::string("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 26),
       HeadScanner::State::kError, Reply::kInvalidHeaderValue},
      {"DEL in value", "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", HeadScanner::State::kError,
       Reply::kInvalidHeaderValue},
      {"tab in value is fine", "GET / HTTP/1.1\r\nX: a\tb\r\n\r\n", HeadScanner::State::kComplete,
       Reply::kNone},
      {"HTTP/0.9 needs no empty line", "GET /\r\n", HeadScanner::State::kError, Reply::kHttp09},
      {"control in request line", "GET /\x01 HTTP/1.1\r\n\r\n", HeadScanner::State::kError,
       Reply::kInvalidRequest},
      {"request line at the limit", "GET /" + repeat('a', 8192 - 14) + " HTTP/1.1\r\n\r\n",
       HeadScanner::State::kComplete, Reply::kNone},
      {"request line over the limit", "GET /" + repeat('a', 8192 - 13) + " HTTP/1.1\r\n\r\n",
       HeadScanner::State::kError, Reply::kUriTooLong},
      {"header block over 32 KiB", "GET / HTTP/1.1\r\nX: " + repeat('a', 32 * 1024) + "\r\n\r\n",
       HeadScanner::State::kError, Reply::kHeadersTooLarge},
  };
  for (const Case& c : cases) expectScan(c);
}

TEST(HeadScannerTest, FieldCountLimit) {
  std::string ok = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 100; ++i) ok += "X-" + std::to_string(i) + ": v\r\n";
  expectScan({"100 fields", ok + "\r\n", HeadScanner::State::kComplete, Reply::kNone});
  expectScan(
      {"101 fields", ok + "X-100: v\r\n\r\n", HeadScanner::State::kError, Reply::kTooManyHeaders});
}

TEST(HeadScannerTest, StopsAtTheEndOfTheHead) {
  HeadScanner s;
  std::string two = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n\r\n";
  ASSERT_EQ(s.scan(two), HeadScanner::State::kComplete);
  EXPECT_EQ(s.headEnd(), two.find("GET /2"));
}

}  // namespace
}  // namespace nsmp::http
