#include "http/status_text.h"

#include <gtest/gtest.h>

#include <string>

#include "http/reply.h"

namespace nsmp::http {
namespace {

TEST(StatusText, EveryLocalReplyHasItsPhrase) {
  for (size_t i = 1; i < static_cast<size_t>(Reply::kCount); ++i) {
    const ReplyInfo& info = replyInfo(static_cast<Reply>(i));
    EXPECT_NE(std::string(statusText(info.status)), "Unknown") << info.reason;
  }
  EXPECT_STREQ(statusText(404), "Not Found");
  EXPECT_STREQ(statusText(413), "Content Too Large");  // RFC 9110 section 15.5.14
  EXPECT_STREQ(statusText(299), "Unknown");
}

}  // namespace
}  // namespace nsmp::http
