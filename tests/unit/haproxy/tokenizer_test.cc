#include "haproxy/tokenizer.h"

#include <gtest/gtest.h>

namespace nsmp::haproxy {
namespace {

using Words = std::vector<std::string>;

TEST(SplitWords, SpacesTabsAndComments) {
  auto w = splitWords("    timeout\tclient   32s  # Neutron's value");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*w, (Words{"timeout", "client", "32s"}));
}

TEST(SplitWords, BlankAndWhitespaceOnlyLinesHaveNoWords) {
  // Neutron's template leaves "    " where the IPv6 bind line would be.
  for (const char* line : {"", "    ", "\t", "# comment", "  \r"}) {
    auto w = splitWords(line);
    ASSERT_TRUE(w.ok()) << line;
    EXPECT_TRUE(w->empty()) << "'" << line << "'";
  }
}

TEST(SplitWords, BracesAreWordsOfTheirOwn) {
  auto w = splitWords("http-request deny deny_status 429 if { src_http_req_rate(t) gt 10 }");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->size(), 10u);
  EXPECT_EQ((*w)[5], "{");
  EXPECT_EQ((*w)[9], "}");
}

TEST(SplitWords, QuotesAndEscapes) {
  auto w = splitWords(R"(a "b c" 'd#e' f\ g "h\"i" j\#k)");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*w, (Words{"a", "b c", "d#e", "f g", "h\"i", "j#k"}));
}

TEST(SplitWords, RefusesWhatItCannotReadFaithfully) {
  EXPECT_EQ(splitWords("a \"unterminated").status().message(), "unterminated quote");
  EXPECT_EQ(splitWords("a \"${HOME}\"").status().message(),
            "environment variables in quotes are not supported");
  EXPECT_EQ(splitWords("a \\").status().message(), "a backslash ends the line");
}

}  // namespace
}  // namespace nsmp::haproxy
