#include "base/result.h"

#include <gtest/gtest.h>

namespace nsmp {
namespace {

TEST(StatusTest, ErrnoBecomesACodeAndAMessage) {
  struct Case {
    int err;
    Code code;
  } cases[] = {{ENOENT, Code::kNotFound},
               {EADDRINUSE, Code::kAlreadyExists},
               {EACCES, Code::kPermissionDenied},
               {ECONNREFUSED, Code::kUnavailable},
               {EMFILE, Code::kResourceExhausted},
               {EINVAL, Code::kInvalidArgument},
               {EIO, Code::kIo}};
  for (const Case& c : cases) {
    Status s = Status::fromErrno("connect /run/x.sock", c.err);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.code(), c.code) << c.err;
    EXPECT_EQ(s.sysError(), c.err);
    EXPECT_EQ(s.message(), "connect /run/x.sock: " + std::string(errnoText(c.err)));
  }
}

TEST(StatusTest, OkHasNoMessageAndContextPrefixesErrors) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_TRUE(ok.message().empty());
  EXPECT_TRUE(ok.withContext("netns x").ok());
  Status e(Code::kNotFound, "No such file or directory");
  EXPECT_EQ(e.withContext("netns qdhcp-1").message(), "netns qdhcp-1: No such file or directory");
  EXPECT_EQ(e.withContext("netns qdhcp-1").code(), Code::kNotFound);
}

TEST(StatusTest, ErrnoTextNeedsNoBuffer) {
  EXPECT_EQ(errnoText(ENOENT), "No such file or directory");
  EXPECT_FALSE(errnoText(99999).empty());
  EXPECT_EQ(codeName(Code::kResourceExhausted), "resource_exhausted");
}

TEST(ResultTest, HoldsAValueOrAStatus) {
  Result<int> v = 7;
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 7);
  EXPECT_TRUE(v.status().ok());
  Result<int> e = Status(Code::kInvalidArgument, "bad");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(e.status().message(), "bad");
}

}  // namespace
}  // namespace nsmp
