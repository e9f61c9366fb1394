#include "base/buffer.h"

#include <gtest/gtest.h>

#include <string>

namespace nsmp {
namespace {

TEST(BufferTest, NeverHoldsMoreThanItsLimit) {
  for (size_t limit :
       {size_t{1}, size_t{100}, Buffer::kBlockSize, Buffer::kBlockSize + 1, size_t{100'000}}) {
    Buffer b(limit);
    std::string chunk(7'000, 'x');
    size_t total = 0;
    for (int i = 0; i < 40; ++i) total += b.append(chunk);
    EXPECT_EQ(total, limit) << limit;
    EXPECT_EQ(b.size(), limit) << limit;
    EXPECT_TRUE(b.full());
    EXPECT_EQ(b.room(), 0u);
    EXPECT_EQ(b.prepare(1), 0u) << "prepare past the limit, " << limit;
  }
}

// The pooled block is 16 KiB: a smaller limit must still bound what goes in.
TEST(BufferTest, APooledBlockLargerThanTheLimitGivesNoMoreRoom) {
  Buffer b(10);
  EXPECT_EQ(b.prepare(4096), 10u);
  EXPECT_EQ(b.append("0123456789abc"), 10u);
  EXPECT_EQ(b.view(), "0123456789");
}

TEST(BufferTest, ConsumeThenAppendCompactsAndKeepsOrder) {
  Buffer b(8);
  EXPECT_EQ(b.append("abcdefgh"), 8u);
  b.consume(5);
  EXPECT_EQ(b.append("ijklm"), 5u);
  EXPECT_EQ(b.view(), "fghijklm");
  b.consume(8);
  EXPECT_TRUE(b.empty());
}

TEST(BufferTest, GrowsPastOneBlockUpToItsLimit) {
  Buffer b(3 * Buffer::kBlockSize);
  std::string big(3 * Buffer::kBlockSize + 5, 'y');
  EXPECT_EQ(b.append(big), 3 * Buffer::kBlockSize);
  EXPECT_LE(b.capacity(), 3 * Buffer::kBlockSize);
}

TEST(BufferTest, ReleaseGivesTheBlockBackAndALimitCanChange) {
  Buffer b(4);
  b.append("abcd");
  b.clear();
  b.release();
  EXPECT_EQ(b.capacity(), 0u);
  b.setLimit(6);
  EXPECT_EQ(b.append("abcdefgh"), 6u);
}

// An empty chunk (a decoder's zero-length piece) has a null data pointer, and an
// unused buffer has no storage: appending it must be a no-op, not memcpy(null).
// The ASan+UBSan build of this test fails without the guard in append().
TEST(BufferTest, AppendingAnEmptyViewIsANoOp) {
  Buffer fresh(8);
  EXPECT_EQ(fresh.append(std::string_view{}), 0u);
  EXPECT_TRUE(fresh.empty());
  Buffer used(8);
  used.append("ab");
  EXPECT_EQ(used.append(std::string_view{}), 0u);
  EXPECT_EQ(used.view(), "ab");
}

// A reply the owner wrote is queued whole: the limit grows for it (and only
// then), what was queued before stays in front.
TEST(BufferTest, AppendWholeRaisesTheLimitOnlyWhenNeeded) {
  Buffer b(8);
  b.appendWhole("abc");
  EXPECT_EQ(b.limit(), 8u);
  b.appendWhole("defghijkl");
  EXPECT_EQ(b.view(), "abcdefghijkl");
  EXPECT_EQ(b.limit(), 12u);
  EXPECT_TRUE(b.full());
}

}  // namespace
}  // namespace nsmp
