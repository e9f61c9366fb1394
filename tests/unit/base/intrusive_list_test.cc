#include "base/intrusive_list.h"

#include <gtest/gtest.h>

#include <vector>

namespace nsmp {
namespace {

struct Item {
  int id;
  ListHook<Item> hook;
  ListHook<Item> other;
};
using List = IntrusiveList<Item, &Item::hook>;
using OtherList = IntrusiveList<Item, &Item::other>;

std::vector<int> ids(List& l) {
  std::vector<int> out;
  l.forEach([&](Item* i) { out.push_back(i->id); });
  return out;
}

TEST(IntrusiveListTest, KeepsOrderAndRemovesAnywhere) {
  Item a{1, {}, {}}, b{2, {}, {}}, c{3, {}, {}};
  List l;
  l.pushBack(&b);
  l.pushFront(&a);
  l.pushBack(&c);
  EXPECT_EQ(ids(l), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(l.size(), 3u);
  l.remove(&b);
  EXPECT_FALSE(List::linked(&b));
  EXPECT_EQ(ids(l), (std::vector<int>{1, 3}));
  l.remove(&a);
  l.remove(&c);
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.front(), nullptr);
  EXPECT_EQ(l.back(), nullptr);
}

TEST(IntrusiveListTest, ForEachMayRemoveTheCurrentElement) {
  Item items[5] = {{0, {}, {}}, {1, {}, {}}, {2, {}, {}}, {3, {}, {}}, {4, {}, {}}};
  List l;
  for (Item& i : items) l.pushBack(&i);
  l.forEach([&](Item* i) {
    if (i->id % 2 == 0) l.remove(i);
  });
  EXPECT_EQ(ids(l), (std::vector<int>{1, 3}));
}

TEST(IntrusiveListTest, AnElementCanBeOnTwoListsAtOnce) {
  Item a{1, {}, {}};
  List l;
  OtherList o;
  l.pushBack(&a);
  o.pushBack(&a);
  l.remove(&a);
  EXPECT_TRUE(OtherList::linked(&a));
  EXPECT_EQ(o.front(), &a);
}

}  // namespace
}  // namespace nsmp
