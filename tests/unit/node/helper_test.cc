// The root helper spoken to directly over its channel, as a compromised
// node could (issue #10 item 7), and the node's opener that asks it without
// waiting (item 8).
#include "node/helper.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cstring>

#include <optional>
#include <string>
#include <vector>

#include "event/loop.h"
#include "netns_fixtures.h"
#include "node/helper_protocol.h"
#include "node/netns.h"
#include "node/opener.h"

namespace nsmp::node {
namespace {

using testing::isRoot;
using testing::NamespaceHolder;
using testing::RunNetnsEntry;

// Long enough for any reply; a helper that has not answered by then is
// stuck (the old one blocked in open() on a FIFO).
constexpr int kReplyTimeoutMs = 10'000;

std::string request(const std::string& netns, const std::string& maxconn,
                    const std::vector<std::vector<std::string>>& binds) {
  std::string m = netns + '\0' + maxconn + '\0';
  for (const auto& b : binds) {
    for (const std::string& f : b) m += f + '\0';
  }
  return m;
}

class HelperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!isRoot()) GTEST_SKIP() << "needs root (the helper enters namespaces)";
    ASSERT_TRUE(holder_.ok());
    auto h = forkHelper();
    ASSERT_TRUE(h) << h.status().message();
    helper_ = std::move(*h);
  }

  void TearDown() override {
    if (helper_.pid <= 0) return;
    // A helper that is still serving answers a valid request after whatever
    // the test sent it.
    if (!::testing::Test::HasFailure()) expectServes();
    helper_.channel.reset();
    ::kill(helper_.pid, SIGKILL);  // ours; the old one may be stuck
    ::waitpid(helper_.pid, nullptr, 0);
  }

  // Sends `bytes` (with `fds`) and waits, bounded, for the reply.
  std::optional<Message> ask(const std::string& bytes, const std::vector<net::Fd>& fds = {}) {
    EXPECT_TRUE(sendMessage(helper_.channel.get(), bytes, fds)) << std::strerror(errno);
    pollfd p{helper_.channel.get(), POLLIN, 0};
    if (::poll(&p, 1, kReplyTimeoutMs) != 1) {
      ADD_FAILURE() << "no reply within " << kReplyTimeoutMs << " ms: the helper is blocked";
      return std::nullopt;
    }
    Message m = receiveMessage(helper_.channel.get());
    EXPECT_EQ(m.kind, Message::Kind::kMessage) << "the helper exited";
    return m;
  }

  // The refusal text of a request, "" when it was not refused.
  std::string refusal(const std::string& bytes, const std::vector<net::Fd>& fds = {}) {
    auto m = ask(bytes, fds);
    if (!m) return "(no reply)";
    if (m->bytes.empty() || m->bytes[0] != '0') return "(served: " + m->bytes + ")";
    EXPECT_TRUE(m->fds.empty()) << "a refusal came with sockets";
    return m->bytes.substr(1);
  }

  std::string valid(const std::string& port = "0") {
    return request(holder_.path(), "16", {{"0.0.0.0", port, ""}});
  }

  void expectServes() {
    auto m = ask(valid());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->bytes, "1");
    EXPECT_EQ(m->fds.size(), 1u);
  }

  NamespaceHolder holder_;
  HelperProcess helper_;
};

int intOption(int fd, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  ::getsockopt(fd, SOL_SOCKET, name, &v, &len);
  return v;
}

TEST_F(HelperTest, OpensTcpListenersInTheNamedNamespace) {
  auto m = ask(request(holder_.path(), "16", {{"0.0.0.0", "0", ""}, {"::", "0", ""}}));
  ASSERT_TRUE(m);
  ASSERT_EQ(m->bytes, "1");
  ASSERT_EQ(m->fds.size(), 2u);
  auto target = openNetns(holder_.path());
  ASSERT_TRUE(target) << target.status().message();
  for (const net::Fd& fd : m->fds) {
    EXPECT_EQ(intOption(fd.get(), SO_TYPE), SOCK_STREAM);
    EXPECT_EQ(intOption(fd.get(), SO_PROTOCOL), IPPROTO_TCP);
    EXPECT_EQ(intOption(fd.get(), SO_ACCEPTCONN), 1);
    net::Fd ns(::ioctl(fd.get(), SIOCGSKNS));
    ASSERT_TRUE(ns.valid()) << std::strerror(errno);
    EXPECT_TRUE(sameNamespace(ns.get(), target->get())) << "bound outside the namespace";
  }
  EXPECT_EQ(intOption(m->fds[0].get(), SO_DOMAIN), AF_INET);
  EXPECT_EQ(intOption(m->fds[1].get(), SO_DOMAIN), AF_INET6);
}

// The old helper opened any path as root: whether a file exists in a
// directory only root can read was one request away.
TEST_F(HelperTest, RefusesEveryPathButANamespaceNameWithoutLookingAtIt) {
  char dir[] = "/tmp/nsmp-unit-root-only-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string present = std::string(dir) + "/present";
  std::string absent = std::string(dir) + "/absent";
  ::close(::open(present.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  std::string pid = std::to_string(::getpid());
  for (const std::string& netns :
       {present, absent, std::string("/etc/shadow"), std::string("../../etc/shadow"),
        std::string(".."), std::string("a/b"), std::string("/run/netns/../../etc/shadow"),
        "/proc/" + pid + "/ns/mnt", "/proc/" + pid + "/root/etc/shadow",
        "/proc/" + pid + "/../../etc/shadow", std::string("/proc/self/ns/net"),
        "/proc/0" + pid + "/ns/net", std::string("/dev/zero")}) {
    std::string want = "netns '" + netns + "': not a namespace name under /run/netns";
    std::string got = refusal(request(netns, "16", {{"0.0.0.0", "0", ""}}));
    EXPECT_TRUE(got.starts_with(std::string(kMalformed) + want)) << netns << " -> " << got;
  }
  ::unlink(present.c_str());
  ::rmdir(dir);
}

// The old helper blocked in open() on a FIFO until a writer came.
TEST_F(HelperTest, AFifoIsRefusedWithoutBlocking) {
  RunNetnsEntry fifo(RunNetnsEntry::Kind::kFifo, "helper-fifo");
  ASSERT_TRUE(fifo.ok());
  std::string got = refusal(request(fifo.name(), "16", {{"0.0.0.0", "0", ""}}));
  // Let a helper stuck in open() go before the fixture's last check.
  ::close(::open(fifo.path().c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  EXPECT_EQ(got, "netns " + fifo.name() + ": not a network namespace (a FIFO)");
}

TEST_F(HelperTest, WhatIsNotANetworkNamespaceIsRefused) {
  for (auto [kind, what, why] :
       {std::tuple{RunNetnsEntry::Kind::kFile, "helper-file", "a plain file"},
        std::tuple{RunNetnsEntry::Kind::kDirectory, "helper-dir", "a directory"},
        std::tuple{RunNetnsEntry::Kind::kSymlinkToOwnNetns, "helper-link", "a symbolic link"},
        std::tuple{RunNetnsEntry::Kind::kUtsNamespace, "helper-uts", "a UTS namespace"}}) {
    RunNetnsEntry entry(kind, what);
    ASSERT_TRUE(entry.ok()) << what;
    EXPECT_EQ(refusal(request(entry.name(), "16", {{"0.0.0.0", "0", ""}})),
              "netns " + entry.name() + ": not a network namespace (" + why + ")");
  }
}

// The old helper bound any port, 127.0.0.1:1 included, in the host's
// namespace. The node binds there itself, with its own privileges.
TEST_F(HelperTest, RefusesTheHostsOwnNamespace) {
  std::string own = "/proc/" + std::to_string(::getpid()) + "/ns/net";
  EXPECT_EQ(refusal(request(own, "16", {{"127.0.0.1", "1", ""}})),
            "netns " + own +
                " is the node's own network namespace: add the listener without --netns (the "
                "node opens those itself, with its own privileges)");
  EXPECT_EQ(refusal(request("", "16", {{"127.0.0.1", "1", ""}})),
            std::string(kMalformed) +
                "no netns; the node opens the listeners of its own namespace itself, with its "
                "own privileges");
}

TEST_F(HelperTest, RefusesEveryMalformedField) {
  const std::string ns = holder_.path();
  auto bind = [&](std::string host, std::string port, std::string iface) {
    return request(ns, "16", {{std::move(host), std::move(port), std::move(iface)}});
  };
  std::vector<std::vector<std::string>> seventeen(17, {"0.0.0.0", "0", ""});
  std::string lastNulCut = bind("0.0.0.0", "0", "lo");
  lastNulCut.pop_back();
  struct Case {
    std::string bytes;
    std::string why;  // what the refusal says after kMalformed
  };
  std::vector<Case> cases = {
      {lastNulCut, "it does not end with a NUL"},
      {valid() + "x", "it does not end with a NUL"},
      {valid() + "extra" + '\0', "6 fields"},
      {request(ns, "16", {}), "2 fields"},
      {request(ns, "16", {{"0.0.0.0", "0"}}), "4 fields"},
      {request(ns, "16", seventeen), "more than 16 addresses"},
  };
  for (const char* m : {"0", "1000001", "+5", "-5", "5x", "", " 5", "05", "0x10", "4294967312"}) {
    cases.push_back({request(ns, m, {{"0.0.0.0", "0", ""}}),
                     "maxconn '" + std::string(m) + "' is not a number from 1 to 1000000"});
  }
  for (const char* h :
       {"localhost", "1.2.3", "01.2.3.4", "::1%lo", "[::1]", "", "0.0.0.0 ", "0.0.0.0/0", "*"}) {
    cases.push_back(
        {bind(h, "0", ""), "host '" + std::string(h) + "' is not an IPv4 or IPv6 address"});
  }
  for (const char* p : {"65536", "-1", "0x50", "", "080", "80 ", "4294967297", "1e3"}) {
    cases.push_back(
        {bind("0.0.0.0", p, ""), "port '" + std::string(p) + "' is not a number from 0 to 65535"});
  }
  for (const char* i : {"a/b", "sixteen-chars-xx", ".", "..", "a b", "a:b", "eth0\n"}) {
    std::string shown = i;
    for (char& c : shown) c = (c >= ' ' && c <= '~') ? c : '?';
    cases.push_back(
        {bind("0.0.0.0", "0", i),
         "interface '" + shown + "' is not a network interface name (1-15 characters, e.g. eth0)"});
  }
  for (const Case& c : cases) {
    std::string got = refusal(c.bytes);
    EXPECT_TRUE(got.starts_with(std::string(kMalformed) + c.why))
        << "request " << ::testing::PrintToString(c.bytes) << " -> " << got;
  }
}

TEST_F(HelperTest, RefusesARequestCarryingDescriptors) {
  std::vector<net::Fd> fds;
  fds.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_EQ(refusal(valid(), fds), std::string(kMalformed) + "it carries file descriptors");
}

TEST_F(HelperTest, RefusesAnOversizedRequestAndGoesOn) {
  std::string huge = valid() + std::string(kMaxMessage, 'x');
  EXPECT_EQ(refusal(huge), std::string(kMalformed) + "longer than 16384 bytes");
}

TEST_F(HelperTest, ABindErrorNamesTheAddressAndTheNamespace) {
  auto first = ask(valid("9697"));
  ASSERT_TRUE(first);
  ASSERT_EQ(first->bytes, "1");
  EXPECT_EQ(refusal(valid("9697")), "cannot listen on 0.0.0.0:9697 in " + holder_.path() +
                                        ": bind: Address already in use");
}

// -- the node's side: asking without waiting ----------------------------------------------

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

class HelperOpenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(loop_.init());
    auto h = forkHelper();
    ASSERT_TRUE(h) << h.status().message();
    pid_ = h->pid;
    auto o = helperOpener(loop_, std::move(*h));
    ASSERT_TRUE(o) << o.status().message();
    opener_ = std::move(*o);
  }
  void TearDown() override {
    opener_.reset();  // closes the channel: the helper exits
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  static proxy::ListenerConfig config(const std::string& netns) {
    proxy::ListenerConfig c;
    c.netns = netns;
    c.binds = {proxy::BindAddress{"0.0.0.0", 0, ""}};
    return c;
  }

  // Runs the loop until `done()` or 10 s.
  template <typename F>
  void runUntil(F done) {
    for (int turns = 0; turns < 1000 && !done(); ++turns) {
      StopAfter stop(loop_, event::Millis(10));
      loop_.run();
    }
  }

  event::Loop loop_;
  pid_t pid_ = -1;
  std::unique_ptr<SocketOpener> opener_;
};

TEST_F(HelperOpenerTest, AnswersInTheOrderAsked) {
  std::vector<std::string> answers;
  std::string base = "nsmp-unit-" + std::to_string(::getpid()) + "-none-";
  for (const char* n : {"a", "b", "c"}) {
    opener_->open(config(base + n), [&answers](SocketOpener::Opened r) {
      answers.push_back(r ? "(opened)" : r.status().message());
    });
  }
  EXPECT_TRUE(answers.empty()) << "answered before the loop ran";
  runUntil([&] { return answers.size() == 3; });
  std::vector<std::string> want;
  for (const char* n : {"a", "b", "c"}) {
    want.push_back("netns " + base + n + ": No such file or directory");
  }
  EXPECT_EQ(answers, want);
}

TEST_F(HelperOpenerTest, OpensInANamespace) {
  if (!isRoot()) GTEST_SKIP() << "needs root";
  NamespaceHolder holder;
  ASSERT_TRUE(holder.ok());
  std::optional<SocketOpener::Opened> got;
  opener_->open(config(holder.path()),
                [&got](SocketOpener::Opened r) { got.emplace(std::move(r)); });
  runUntil([&] { return got.has_value(); });
  ASSERT_TRUE(got);
  ASSERT_TRUE(*got) << got->status().message();
  EXPECT_EQ((*got)->size(), 1u);
}

TEST_F(HelperOpenerTest, WhenTheHelperIsGoneEveryRequestFails) {
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  std::vector<std::string> answers;
  auto record = [&answers](SocketOpener::Opened r) {
    answers.push_back(r ? "(opened)" : r.status().message());
  };
  opener_->open(config("qdhcp-a"), record);
  runUntil([&] { return !answers.empty(); });
  opener_->open(config("qdhcp-b"), record);  // known gone: at once
  ASSERT_EQ(answers.size(), 2u);
  for (const std::string& a : answers) {
    EXPECT_TRUE(a.starts_with("socket helper is gone")) << a;
    EXPECT_NE(a.find("restart the node"), std::string::npos) << a;
  }
}

}  // namespace
}  // namespace nsmp::node
