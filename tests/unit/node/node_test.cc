#include "node/node.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "event/loop.h"
#include "net/socket.h"
#include "proxy/listener.h"
#include "proxy/worker.h"

namespace nsmp::node {
namespace {

// Opens nothing by itself: the test answers each request when it chooses,
// as a slow helper would.
class ManualOpener final : public SocketOpener {
 public:
  struct Request {
    proxy::ListenerConfig config;
    Done done;
  };
  explicit ManualOpener(std::vector<Request>* requests) : requests_(requests) {}
  void open(const proxy::ListenerConfig& config, Done done) override {
    requests_->push_back({config, std::move(done)});
  }

 private:
  std::vector<Request>* requests_;
};

class StopAfter final : public event::TimerHandler {
 public:
  StopAfter(event::Loop& loop, event::Millis after) : loop_(loop), timer_(loop, this) {
    timer_.arm(after);
  }
  void onTimer(event::Timer&) override { loop_.stop(); }

 private:
  event::Loop& loop_;
  event::Timer timer_;
};

// What an add() answered, once it has.
struct Answer {
  std::optional<Node::Added> result;
  bool answered() const { return result.has_value(); }
  proxy::Listener* listener() { return result && *result ? **result : nullptr; }
  std::string error() const { return result && !*result ? result->status().message() : ""; }
};

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(loop_.init());
    node_ = std::make_unique<Node>(worker_, std::make_unique<ManualOpener>(&requests_));
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

  static proxy::ListenerConfig inNetns(const std::string& uuid, const std::string& netns) {
    proxy::ListenerConfig c = config(uuid);
    c.netns = netns;
    return c;
  }

  // add() whose answer is kept in *answer.
  void add(proxy::ListenerConfig c, Answer* answer) {
    node_->add(std::move(c), [answer](Node::Added r) {
      EXPECT_FALSE(answer->answered()) << "answered twice";
      answer->result.emplace(std::move(r));
    });
  }

  // add() that must answer before it returns (the node's own namespace, or a refusal).
  Node::Added addNow(proxy::ListenerConfig c) {
    Answer a;
    add(std::move(c), &a);
    EXPECT_TRUE(a.answered()) << "add did not answer at once";
    if (!a.answered()) return Status(Code::kFailedPrecondition, "(no answer)");
    return std::move(*a.result);
  }

  static uint16_t portOf(const proxy::Listener* l) {
    const std::string& d = l->describe();
    return static_cast<uint16_t>(std::stoi(d.substr(d.rfind(':') + 1)));
  }

  // A listening socket on 127.0.0.1, as the helper would return one.
  static std::vector<net::Fd> oneSocket(uint16_t* port) {
    Result<net::Fd> fd = net::listenTcp({"127.0.0.1", 0, "", 16, true});
    EXPECT_TRUE(fd);
    sockaddr_in sin{};
    socklen_t len = sizeof sin;
    ::getsockname(fd->get(), reinterpret_cast<sockaddr*>(&sin), &len);
    *port = ntohs(sin.sin_port);
    std::vector<net::Fd> out;
    out.push_back(std::move(*fd));
    return out;
  }

  static bool accepts(uint16_t port) {
    net::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0;
  }

  event::Loop loop_;
  proxy::Worker worker_{loop_};
  std::vector<ManualOpener::Request> requests_;
  std::unique_ptr<Node> node_;
};

TEST_F(NodeTest, AddsListenersEachWithItsOwnIdentityAndLogTag) {
  auto net = addNow(config("net-1"));
  ASSERT_TRUE(net) << net.status().message();
  auto router = addNow(config("router-1", 0, proxy::IdentityKind::kRouter));
  ASSERT_TRUE(router) << router.status().message();
  ASSERT_EQ(node_->listeners().size(), 2u);
  EXPECT_EQ((*net)->identity().header, "X-Neutron-Network-ID");
  EXPECT_EQ((*router)->identity().header, "X-Neutron-Router-ID");
  EXPECT_EQ((*net)->config().log_tag, "network net-1: ");
  EXPECT_EQ((*router)->config().log_tag, "router router-1: ");
  EXPECT_NE(portOf(*net), 0);
  EXPECT_TRUE(requests_.empty()) << "the node's own namespace needs no helper";
}

TEST_F(NodeTest, RefusesAServedUuidAndChangesNothing) {
  ASSERT_TRUE(addNow(config("net-1")));
  auto again = addNow(config("net-1"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().message(), "network net-1 is already served (remove it first)");
  EXPECT_EQ(node_->listeners().size(), 1u);
}

// Issue #10 item 9: the uuid tags the node's log lines; the node refuses
// what no producer would give it.
TEST_F(NodeTest, RefusesAnUnsafeIdAndAddsNothing) {
  for (const char* bad : {"../../x", "a/b", "..", "a\x1b[2J"}) {
    auto added = addNow(config(bad));
    ASSERT_FALSE(added) << bad;
    const std::string why = added.status().message();
    EXPECT_TRUE(why.starts_with("network id '")) << why;
    EXPECT_NE(why.find("must be 1-255 printable ASCII"), std::string::npos);
  }
  EXPECT_TRUE(node_->listeners().empty());
}

TEST_F(NodeTest, BindFailureNamesTheAddressAndAddsNothing) {
  auto first = addNow(config("net-1"));
  ASSERT_TRUE(first);
  uint16_t port = portOf(*first);
  auto clash = addNow(config("net-2", port));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.status().message(), "cannot listen on 127.0.0.1:" + std::to_string(port) +
                                          ": bind: Address already in use");
  EXPECT_EQ(node_->listeners().size(), 1u);
}

TEST_F(NodeTest, RemoveFreesThePortAtOnceAndTheUuidCanComeBack) {
  auto first = addNow(config("net-1"));
  ASSERT_TRUE(first);
  uint16_t port = portOf(*first);
  auto left = node_->remove("net-1");
  ASSERT_TRUE(left) << left.status().message();
  EXPECT_EQ(*left, 0u);
  EXPECT_TRUE(node_->listeners().empty());  // no session: freed at the end of the turn
  auto again = addNow(config("net-1", port));
  ASSERT_TRUE(again) << again.status().message();
  EXPECT_EQ(portOf(*again), port);
}

TEST_F(NodeTest, RemoveOfAnUnknownUuidIsRefused) {
  ASSERT_TRUE(addNow(config("net-1")));
  auto left = node_->remove("net-2");
  ASSERT_FALSE(left);
  EXPECT_EQ(left.status().message(), "net-2 is not served");
  EXPECT_EQ(node_->listeners().size(), 1u);
}

TEST_F(NodeTest, NothingIsAddedOnceShutdownHasBegun) {
  worker_.beginShutdown(proxy::Millis(10));
  auto added = addNow(config("net-1"));
  ASSERT_FALSE(added);
  EXPECT_EQ(added.status().message(), "the node is shutting down");
  auto elsewhere = addNow(inNetns("net-2", "qdhcp-2"));
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(elsewhere.status().message(), "the node is shutting down");
  EXPECT_TRUE(requests_.empty());
}

TEST_F(NodeTest, ANamespaceNameThatCouldLeaveRunNetnsIsRefusedWithoutAskingTheHelper) {
  auto added = addNow(inNetns("net-1", "../../etc/shadow"));
  ASSERT_FALSE(added);
  EXPECT_NE(added.status().message().find("not a namespace name"), std::string::npos)
      << added.status().message();
  EXPECT_TRUE(requests_.empty());
}

// Issue #10 item 8: the add waits for the helper, not the node.
TEST_F(NodeTest, AnAddInAnotherNamespaceAnswersWhenTheHelperDoes) {
  Answer a;
  add(inNetns("net-1", "qdhcp-1"), &a);
  EXPECT_FALSE(a.answered());
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].config.netns, "qdhcp-1");
  EXPECT_EQ(node_->pendingAdds(), 1u);
  EXPECT_TRUE(node_->listeners().empty());
  // Meanwhile the node goes on adding in its own namespace.
  ASSERT_TRUE(addNow(config("net-2")));

  uint16_t port = 0;
  requests_[0].done(oneSocket(&port));
  ASSERT_TRUE(a.answered());
  ASSERT_NE(a.listener(), nullptr) << a.error();
  EXPECT_EQ(a.listener()->config().netns, "qdhcp-1");
  EXPECT_EQ(portOf(a.listener()), port);
  EXPECT_EQ(node_->pendingAdds(), 0u);
  EXPECT_EQ(node_->listeners().size(), 2u);
}

TEST_F(NodeTest, TheHelpersRefusalIsTheAnswerAndTheUuidCanBeAddedAgain) {
  Answer a;
  add(inNetns("net-1", "qdhcp-1"), &a);
  ASSERT_EQ(requests_.size(), 1u);
  requests_[0].done(Status(Code::kFailedPrecondition, "netns qdhcp-1: No such file or directory"));
  ASSERT_TRUE(a.answered());
  EXPECT_EQ(a.error(), "netns qdhcp-1: No such file or directory");
  EXPECT_TRUE(node_->listeners().empty());
  EXPECT_EQ(node_->pendingAdds(), 0u);
  EXPECT_TRUE(addNow(config("net-1")));
}

TEST_F(NodeTest, ASecondAddOfAUuidBeingAddedIsRefused) {
  Answer first;
  add(inNetns("net-1", "qdhcp-1"), &first);
  auto second = addNow(config("net-1"));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.status().message(),
            "network net-1 is being added already (wait for that add's answer)");
  auto third = addNow(inNetns("net-1", "qdhcp-2"));
  ASSERT_FALSE(third);
  EXPECT_EQ(requests_.size(), 1u);
  EXPECT_FALSE(first.answered());
}

TEST_F(NodeTest, RemoveOfAUuidBeingAddedCancelsTheAdd) {
  Answer a;
  add(inNetns("net-1", "qdhcp-1"), &a);
  auto left = node_->remove("net-1");
  ASSERT_TRUE(left) << left.status().message();
  EXPECT_EQ(*left, 0u);
  ASSERT_TRUE(a.answered());
  EXPECT_EQ(a.error(), "network net-1 was removed while it was being added");
  EXPECT_FALSE(node_->remove("net-1")) << "removed twice";

  // The helper answers later: its sockets are closed, nothing is served.
  uint16_t port = 0;
  requests_[0].done(oneSocket(&port));
  EXPECT_TRUE(node_->listeners().empty());
  EXPECT_EQ(node_->pendingAdds(), 0u);
  EXPECT_FALSE(accepts(port));
}

TEST_F(NodeTest, AUuidRemovedWhileBeingAddedCanBeAddedAgainAtOnce) {
  Answer first, second;
  add(inNetns("net-1", "qdhcp-1"), &first);
  ASSERT_TRUE(node_->remove("net-1"));
  add(inNetns("net-1", "qdhcp-1"), &second);
  ASSERT_EQ(requests_.size(), 2u);
  uint16_t port1 = 0, port2 = 0;
  requests_[0].done(oneSocket(&port1));
  requests_[1].done(oneSocket(&port2));
  ASSERT_NE(second.listener(), nullptr) << second.error();
  EXPECT_EQ(portOf(second.listener()), port2);
  EXPECT_EQ(node_->listeners().size(), 1u);
}

TEST_F(NodeTest, ShutdownAnswersTheAddsStillWaiting) {
  Answer a;
  add(inNetns("net-1", "qdhcp-1"), &a);
  worker_.beginShutdown(proxy::Millis(10));
  StopAfter stop(loop_, event::Millis(5));
  loop_.run();  // the end of a turn answers it
  ASSERT_TRUE(a.answered());
  EXPECT_EQ(a.error(), "the node is shutting down");
  uint16_t port = 0;
  requests_[0].done(oneSocket(&port));
  EXPECT_TRUE(node_->listeners().empty());
  EXPECT_FALSE(accepts(port));
}

}  // namespace
}  // namespace nsmp::node
