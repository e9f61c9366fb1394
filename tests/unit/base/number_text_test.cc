#include "base/number_text.h"

#include <gtest/gtest.h>

#include <string>

namespace nsmp {
namespace {

TEST(ParseDecimal, DigitsOnlyWithinSixtyFourBits) {
  EXPECT_EQ(parseDecimal("0"), 0u);
  EXPECT_EQ(parseDecimal("007"), 7u);
  EXPECT_EQ(parseDecimal("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "+1", "-1", " 1", "1 ", "0x10", "1e3", "18446744073709551616"}) {
    EXPECT_FALSE(parseDecimal(bad).has_value()) << bad;
  }
}

TEST(ParseSizeText, BinarySuffixesUpToTheLimit) {
  EXPECT_EQ(parseSizeText("100", 1000).bytes, 100u);
  EXPECT_EQ(parseSizeText("10k", 1 << 20).bytes, 10'240u);
  EXPECT_EQ(parseSizeText("10K", 1 << 20).bytes, 10'240u);
  EXPECT_EQ(parseSizeText("1m", 1 << 20).bytes, 1u << 20);
  EXPECT_EQ(parseSizeText("1G", uint64_t{1} << 30).bytes, uint64_t{1} << 30);
  EXPECT_EQ(parseSizeText("1025", 1024).problem, SizeProblem::kTooLarge);
  EXPECT_EQ(parseSizeText("2G", uint64_t{1} << 30).problem, SizeProblem::kTooLarge);
  EXPECT_EQ(parseSizeText("4g", (uint64_t{1} << 32) - 1).problem, SizeProblem::kTooLarge);
  EXPECT_EQ(parseSizeText("3g", (uint64_t{1} << 32) - 1).bytes, uint64_t{3} << 30);
  for (const char* bad : {"", "k", "+1k", "-1", " 1", "99999999999999999999k"}) {
    EXPECT_EQ(parseSizeText(bad, UINT64_MAX).problem, SizeProblem::kNotANumber) << bad;
  }
  for (const char* bad : {"10x", "10kb", "1.5M", "10 k"}) {
    EXPECT_EQ(parseSizeText(bad, UINT64_MAX).problem, SizeProblem::kUnknownSuffix) << bad;
  }
}

}  // namespace
}  // namespace nsmp
