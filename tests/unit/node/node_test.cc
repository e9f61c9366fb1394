#include "node/node.h"

#include "node/netns.h"

#include <gtest/gtest.h>

#include <string>

#include "event/loop.h"
#include "proxy/listener.h"
#include "proxy/worker.h"

namespace nsmp::node {
namespace {

TEST(NetnsPathTest, NamesLiveUnderRunNetnsPathsStayAsGiven) {
  EXPECT_EQ(*netnsPath("qdhcp-8c2a"), "/run/netns/qdhcp-8c2a");
  EXPECT_EQ(*netnsPath("/proc/1/ns/net"), "/proc/1/ns/net");
  for (const char* bad : {"", ".", "..", "a/b", "../etc"}) {
    auto p = netnsPath(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_NE(p.error().find("not a namespace name"), std::string::npos) << p.error();
  }
  EXPECT_FALSE(netnsPath(std::string(256, 'n')));
  EXPECT_TRUE(netnsPath(std::string(255, 'n')));
}

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(loop_.init());
    auto opener = localOpener();
    ASSERT_TRUE(opener) << opener.error();
    node_ = std::make_unique<Node>(worker_, std::move(*opener));
  }

  static proxy::ListenerConfig config(const std::string& uuid, uint16_t port = 0,
                                      proxy::IdentityKind kind = proxy::IdentityKind::kNetwork) {
    proxy::ListenerConfig c;
    c.uuid = uuid;
    c.identity = {kind, uuid};
    c.binds = {proxy::BindAddress{"127.0.0.1", port, ""}};
    c.upstream_socket = "/nonexistent/agent.sock";
    return c;
  }

  static uint16_t portOf(const proxy::Listener* l) {
    const std::string& d = l->describe();
    return static_cast<uint16_t>(std::stoi(d.substr(d.rfind(':') + 1)));
  }

  event::Loop loop_;
  proxy::Worker worker_{loop_};
  std::unique_ptr<Node> node_;
};

TEST_F(NodeTest, AddsListenersEachWithItsOwnIdentityAndLogTag) {
  auto net = node_->add(config("net-1"));
  ASSERT_TRUE(net) << net.error();
  auto router = node_->add(config("router-1", 0, proxy::IdentityKind::kRouter));
  ASSERT_TRUE(router) << router.error();
  ASSERT_EQ(node_->listeners().size(), 2u);
  EXPECT_EQ((*net)->identity().header, "X-Neutron-Network-ID");
  EXPECT_EQ((*router)->identity().header, "X-Neutron-Router-ID");
  EXPECT_EQ((*net)->config().log_tag, "network net-1: ");
  EXPECT_EQ((*router)->config().log_tag, "router router-1: ");
  EXPECT_NE(portOf(*net), 0);
}

TEST_F(NodeTest, RefusesAServedUuidAndChangesNothing) {
  ASSERT_TRUE(node_->add(config("net-1")));
  auto again = node_->add(config("net-1"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), "network net-1 is already served (remove it first)");
  EXPECT_EQ(node_->listeners().size(), 1u);
}

TEST_F(NodeTest, BindFailureNamesTheAddressAndAddsNothing) {
  auto first = node_->add(config("net-1"));
  ASSERT_TRUE(first);
  uint16_t port = portOf(*first);
  auto clash = node_->add(config("net-2", port));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error(), "cannot listen on 127.0.0.1:" + std::to_string(port) +
                               ": bind: Address already in use");
  EXPECT_EQ(node_->listeners().size(), 1u);
}

TEST_F(NodeTest, MissingNamespaceIsRefusedBeforeAnythingIsBound) {
  proxy::ListenerConfig c = config("net-1");
  c.netns = "nsmp-unit-no-such-netns";
  auto added = node_->add(c);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error(), "netns nsmp-unit-no-such-netns: No such file or directory");
  EXPECT_TRUE(node_->listeners().empty());
}

TEST_F(NodeTest, RemoveFreesThePortAtOnceAndTheUuidCanComeBack) {
  auto first = node_->add(config("net-1"));
  ASSERT_TRUE(first);
  uint16_t port = portOf(*first);
  auto left = node_->remove("net-1");
  ASSERT_TRUE(left) << left.error();
  EXPECT_EQ(*left, 0u);
  EXPECT_TRUE(node_->listeners().empty());  // no session: freed at the end of the turn
  auto again = node_->add(config("net-1", port));
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(portOf(*again), port);
}

TEST_F(NodeTest, RemoveOfAnUnknownUuidIsRefused) {
  ASSERT_TRUE(node_->add(config("net-1")));
  auto left = node_->remove("net-2");
  ASSERT_FALSE(left);
  EXPECT_EQ(left.error(), "net-2 is not served");
  EXPECT_EQ(node_->listeners().size(), 1u);
}

TEST_F(NodeTest, NothingIsAddedOnceShutdownHasBegun) {
  worker_.beginShutdown(proxy::Millis(10));
  auto added = node_->add(config("net-1"));
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error(), "the node is shutting down");
}

}  // namespace
}  // namespace nsmp::node
