#include "proxy/listener_id.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nsmp::proxy {
namespace {

TEST(ListenerIdTest, NeutronAndOvnIdsAreSafe) {
  for (const std::string& ok :
       std::vector<std::string>{"9f2c1f39-6d7e-4ac1-8c4f-1b4c62f2a0d1", "net-1", "n", "a.b", "...",
                                ".hidden", "a:b", "x_y", std::string(255, 'a')}) {
    EXPECT_TRUE(isSafeId(ok)) << ok;
  }
}

// Issue #10 item 9: "--engine haproxy --network_id ../../x" wrote ../../x.conf
// outside <state_path>/ns-metadata-proxy/.
TEST(ListenerIdTest, AnythingThatIsNotOnePlainPathComponentIsRefused) {
  for (const std::string& bad : std::vector<std::string>{"",
                                                         ".",
                                                         "..",
                                                         "../../x",
                                                         "a/b",
                                                         "/etc",
                                                         "x/",
                                                         "a\\b",
                                                         "a b",
                                                         "a\tb",
                                                         "a\nb",
                                                         "\x1b[2J",
                                                         std::string("a\0b", 3),
                                                         "caf\xc3\xa9",
                                                         "\x7f",
                                                         "%[src]",
                                                         "a#b",
                                                         "a\"b",
                                                         "a'b",
                                                         std::string(256, 'a')}) {
    EXPECT_FALSE(isSafeId(bad)) << bad;
  }
}

TEST(ListenerIdTest, ProblemQuotesTheIdEscapedAndSaysWhatIsAllowed) {
  EXPECT_EQ(idProblem("../x"),
            "'../x' must be 1-255 printable ASCII characters without spaces or any of / \\ \" ' "
            "# %, and not . or ..");
  EXPECT_TRUE(idProblem("a\x1b").starts_with("'a\\x1b' must be"));
  EXPECT_TRUE(idProblem("").starts_with("must be 1-255"));
  EXPECT_TRUE(idProblem(std::string(256, 'a')).starts_with("must be 1-255"));
}

}  // namespace
}  // namespace nsmp::proxy
