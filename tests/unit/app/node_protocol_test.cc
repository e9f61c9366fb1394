#include "app/node_protocol.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "event/loop.h"
#include "haproxy/fixtures.h"
#include "proxy/worker.h"

namespace nsmp::app {
namespace {

using nlohmann::json;

// Neutron's 2020-era router config as written, bound to a free loopback port.
std::string routerConfig() {
  std::string text = haproxy::testing::readFixture("2020-del-set-router.cfg");
  size_t at = text.find("bind :::9697");
  EXPECT_NE(at, std::string::npos);
  return text.replace(at, 12, "bind 127.0.0.1:0");
}

// Listeners in other namespaces are the node's unit tests' business.
class NoHelper final : public node::SocketOpener {
 public:
  void open(const proxy::ListenerConfig&, Done done) override {
    done(Status(Code::kFailedPrecondition, "no helper in this test"));
  }
};

class NodeProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(loop_.init());
    node_ = std::make_unique<node::Node>(worker_, std::make_unique<NoHelper>());
  }

  json askJson(const json& request) { return ask(request.dump()); }
  json ask(std::string_view line) {
    std::string reply;
    int replies = 0;
    handleControlLine(*node_, line, [&](std::string r) {
      reply = std::move(r);
      ++replies;
    });
    EXPECT_EQ(replies, 1) << line;
    EXPECT_EQ(reply.find('\n'), std::string::npos) << reply;
    json parsed = json::parse(reply, nullptr, false);
    EXPECT_TRUE(parsed.is_object()) << reply;
    return parsed;
  }
  // Expects a refusal containing `why`, and that nothing changed.
  void expectRefused(const json& reply, const std::string& why) {
    EXPECT_EQ(reply["ok"], false) << reply.dump();
    EXPECT_NE(reply.value("error", "").find(why), std::string::npos) << reply.dump();
  }
  json addArgs(std::vector<std::string> args) {
    return askJson(json{{"op", "add"}, {"args", args}});
  }

  event::Loop loop_;
  proxy::Worker worker_{loop_};
  std::unique_ptr<node::Node> node_;
};

TEST_F(NodeProtocolTest, AddWithNeutronOptionsThenListShowsItsIdentityAndCounters) {
  json added = addArgs({"--network_id", "net-1", "--bind_host", "127.0.0.1", "--metadata_port", "0",
                        "--metadata_proxy_socket", "/run/agent.sock", "--maxconn", "7"});
  ASSERT_EQ(added["ok"], true) << added.dump();
  EXPECT_EQ(added["uuid"], "net-1");
  EXPECT_EQ(added["netns"], "");
  EXPECT_EQ(added["warnings"], json::array());
  std::string listening = added["listening"];
  EXPECT_TRUE(listening.starts_with("127.0.0.1:")) << listening;

  json list = ask(R"({"op":"list"})");
  ASSERT_EQ(list["ok"], true);
  ASSERT_EQ(list["listeners"].size(), 1u);
  const json& l = list["listeners"][0];
  EXPECT_EQ(l["uuid"], "net-1");
  EXPECT_EQ(l["identity"], (json{{"header", "X-Neutron-Network-ID"}, {"value", "net-1"}}));
  EXPECT_EQ(l["listening"], listening);
  EXPECT_EQ(l["upstream"], "/run/agent.sock");
  EXPECT_EQ(l["draining"], false);
  EXPECT_EQ(l["requests"], 0);
  EXPECT_EQ(l["responses"], (json{{"2xx", 0}, {"3xx", 0}, {"4xx", 0}, {"5xx", 0}}));
  EXPECT_EQ(l["local_replies"], json::object());
}

TEST_F(NodeProtocolTest, AddFromAnHaproxyConfigReportsWhatItDidNotApply) {
  json added = askJson(json{{"op", "add"}, {"haproxy_config", routerConfig()}});
  ASSERT_EQ(added["ok"], true) << added.dump();
  EXPECT_EQ(added["uuid"], "5b6c2a4e-0f1d-4d8e-9a37-2c1e7f3b9d40");
  std::string warnings = added["warnings"].dump();
  for (const char* what :
       {"daemon",
        "pidfile /var/lib/neutron/external/pids/5b6c2a4e-0f1d-4d8e-9a37-2c1e7f3b9d40.pid.haproxy",
        "user neutron", "group neutron", "log"}) {
    EXPECT_NE(warnings.find(what), std::string::npos) << what << " in " << warnings;
  }
  json list = ask(R"({"op":"list"})");
  EXPECT_EQ(list["listeners"][0]["identity"]["header"], "X-Neutron-Router-ID");
}

TEST_F(NodeProtocolTest, RemoveThenListIsEmpty) {
  ASSERT_EQ(
      addArgs({"--router_id", "r-1", "--bind_host", "127.0.0.1", "--metadata_port", "0"})["ok"],
      true);
  json removed = ask(R"({"op":"remove","uuid":"r-1"})");
  EXPECT_EQ(removed, (json{{"ok", true}, {"uuid", "r-1"}, {"draining", 0}}));
  EXPECT_EQ(ask(R"({"op":"list"})")["listeners"], json::array());
}

TEST_F(NodeProtocolTest, RefusalsSayWhyAndChangeNothing) {
  ASSERT_EQ(
      addArgs({"--network_id", "net-1", "--bind_host", "127.0.0.1", "--metadata_port", "0"})["ok"],
      true);
  json before = ask(R"({"op":"list"})");
  struct Case {
    std::string line;
    std::string why;
  } cases[] = {
      {"not json", "request is not a JSON object: not json"},
      {"[1,2]", "request is not a JSON object"},
      {"{}", "request has no \"op\""},
      {R"({"op":"stop"})", "unknown op 'stop'"},
      {R"({"op":"remove"})", "remove needs \"uuid\""},
      {R"({"op":"remove","uuid":"net-2"})", "net-2 is not served"},
      {R"({"op":"add"})", "add needs either \"args\""},
      {R"({"op":"add","args":["--network_id","n"],"haproxy_config":"x"})", "add needs either"},
      {R"({"op":"add","args":"--network_id n"})", "\"args\" must be a list of strings"},
      {R"({"op":"add","args":["--network_id",5]})", "\"args\" must be a list of strings"},
      {R"({"op":"add","args":["--network_id","net-1","--bind_host","127.0.0.1","--metadata_port","0"]})",
       "network net-1 is already served (remove it first)"},
      {R"({"op":"add","args":["--network_id","n","--pid_file","/x"]})",
       "--pid_file is a process option (give it to node)"},
      {R"({"op":"add","args":["--network_id","n","--nodaemonize"]})",
       "--nodaemonize is a process option"},
      {R"({"op":"add","args":["--network_id","n","--engine","haproxy"]})",
       "--engine is a process option"},
      {R"({"op":"add","args":["--network_id","n","--metadata_port","abc"]})",
       "--metadata_port: 'abc' is not a port number"},
      {R"({"op":"add","args":["--metadata_port","0"]})", "--network_id or --router_id is required"},
      {R"({"op":"add","args":["--network_id","n"],"netns":7})", "\"netns\" must be a string"},
      {R"({"op":"add","args":["--network_id","n"],"netns":"../x"})", "not a namespace name"},
      {R"({"op":"add","haproxy_config":"global\n  bogus\n"})", "haproxy config: line 2"},
      {R"({"op":"add","args":["--network_id","../../x"]})",
       "--network_id: '../../x' must be 1-255 printable ASCII"},
      {R"({"op":"add","haproxy_config":"listen l\n bind 127.0.0.1:0\n server s /m\n http-request set-header X-Neutron-Router-ID a/b\n"})",
       "haproxy config: line 4: header value 'a/b' must be"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    json reply = ask(c.line);
    expectRefused(reply, c.why);
    if (c.why.starts_with("--")) {  // no "ns-metadata-proxy: " prefix, no newline
      EXPECT_TRUE(reply["error"].get<std::string>().starts_with("--")) << reply.dump();
    }
  }
  EXPECT_EQ(ask(R"({"op":"list"})"), before);
}

TEST_F(NodeProtocolTest, TooLongReplyIsARefusal) {
  json reply = json::parse(controlLineTooLongReply());
  expectRefused(reply, "request line longer than 1048576 bytes");
}

}  // namespace
}  // namespace nsmp::app
