// The hardening flags (cmake/Hardening.cmake) act at run time in code built
// like ours. tests/hardening/check_binary.py checks the binary itself.
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

namespace {

// -D_GLIBCXX_ASSERTIONS: back() on an empty vector stops the process with
// libstdc++'s message instead of reading (or, through a reference, writing)
// before the vector's storage. Without the flag the same line is undefined
// behaviour, which may or may not crash: the message is what shows the check.
TEST(HardeningDeathTest, BackOfAnEmptyVectorAbortsWithTheAssertion) {
#if !NSMP_HARDENED
  GTEST_SKIP() << "built with -DNSMP_HARDEN=OFF";
#endif
  volatile std::size_t size = 0;  // unknown to the compiler: no compile-time warning
  std::vector<int> empty(size);
  EXPECT_DEATH(
      {
        volatile int x = empty.back();
        (void)x;
      },
      "Assertion '!this->empty\\(\\)' failed");
}

}  // namespace
