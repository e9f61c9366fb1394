#include "metrics/text_format.h"

#include <gtest/gtest.h>

namespace nsmp::metrics {
namespace {

TEST(TextFormat, LabelValuesAreEscaped) {
  std::string labels;
  appendLabel(&labels, "uuid", "a\"b\\c\nd");
  appendLabel(&labels, "kind", "network");
  EXPECT_EQ(labels, R"(uuid="a\"b\\c\nd",kind="network")");
}

TEST(TextFormat, FamilyAndSamples) {
  std::string out;
  writeFamily(&out, "nsmp_x_total", "counter", "Things.");
  writeSample(&out, "nsmp_x_total", "", uint64_t{18446744073709551615u});
  writeSample(&out, "nsmp_y", R"(a="1")", 0.25);
  EXPECT_EQ(out,
            "# HELP nsmp_x_total Things.\n# TYPE nsmp_x_total counter\n"
            "nsmp_x_total 18446744073709551615\nnsmp_y{a=\"1\"} 0.25\n");
}

}  // namespace
}  // namespace nsmp::metrics
