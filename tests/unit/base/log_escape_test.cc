#include "base/log_escape.h"

#include <gtest/gtest.h>

#include <string>

namespace nsmp::log {
namespace {

TEST(LogEscapeTest, PrintableAsciiStaysAsIs) {
  const std::string printable = "GET /openstack/latest?a=%20b&c=d~'x' HTTP/1.1";
  EXPECT_EQ(escaped(printable), printable);
  EXPECT_EQ(escaped(""), "");
}

TEST(LogEscapeTest, EveryByteThatCouldForgeOrBreakALineIsHex) {
  struct Case {
    std::string in;
    std::string out;
  } cases[] = {
      {"a\r\nINFO forged", "a\\x0d\\x0aINFO forged"},  // a second log line
      {"\x1b[2J", "\\x1b[2J"},                         // terminal control
      {std::string("a\0b", 3), "a\\x00b"},
      {"\t\x7f", "\\x09\\x7f"},
      {"say \"hi\"", "say \\x22hi\\x22"},  // the quoted field's delimiter
      {"a\\x41", "a\\x5cx41"},             // a literal backslash cannot fake an escape
      {"caf\xc3\xa9", "caf\\xc3\\xa9"},    // non-ASCII, byte by byte
      {"\xff", "\\xff"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(escaped(c.in), c.out) << c.in;
  }
}

TEST(LogEscapeTest, AppendKeepsWhatIsThere) {
  std::string out = "access \"";
  appendEscaped("/x\"", &out);
  EXPECT_EQ(out, "access \"/x\\x22");
}

}  // namespace
}  // namespace nsmp::log
