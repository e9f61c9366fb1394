#include "app/node_protocol.h"

#include <fmt/format.h>

#include <iterator>
#include <utility>

#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "haproxy/config_parser.h"
#include "metrics/collect.h"
#include "node/control.h"
#include "proxy/listener.h"

namespace nsmp::app {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string refuse(std::string_view why) { return dump(json{{"ok", false}, {"error", why}}); }

// What a Neutron/OVN haproxy config says about the process, which a listener
// of the node cannot follow: reported, not silently dropped.
std::vector<std::string> processSettingsNotApplied(const haproxy::HaproxyConfig& config) {
  std::vector<std::string> out;
  const daemon::ProcessConfig& p = config.process;
  if (p.daemonize) out.push_back("daemon: not applied (the node runs every listener)");
  if (!p.pid_file.empty()) out.push_back("pidfile " + p.pid_file + ": not applied");
  if (!p.user.empty()) out.push_back("user " + p.user + ": not applied");
  if (!p.group.empty()) out.push_back("group " + p.group + ": not applied");
  if (p.log_target == daemon::LogTarget::kSyslog) {
    out.push_back("log: not applied (listeners log to the node's log)");
  }
  return out;
}

// The listener an add request's "args" describe (the single proxy's
// options); a refusal's message otherwise.
Result<proxy::ListenerConfig> listenerFromArgs(const json& args) {
  if (!args.is_array()) return invalidArgument("\"args\" must be a list of strings");
  std::vector<std::string> words;
  for (const json& a : args) {
    if (!a.is_string()) return invalidArgument("\"args\" must be a list of strings");
    words.push_back(a.get<std::string>());
  }
  Result<Command> command = parseListenerArguments(words);
  if (!command) return invalidArgument(command.status().message());
  if (!command->print.empty()) {
    return invalidArgument("--help and --version are not listener options");
  }
  return std::move(command->options.listener);
}

// The listener an add request's "haproxy_config" describes, with the
// parser's warnings and the process settings it does not apply added to
// *warnings; a refusal's message otherwise.
Result<proxy::ListenerConfig> listenerFromHaproxy(const json& text,
                                                  std::vector<std::string>* warnings) {
  if (!text.is_string()) return invalidArgument("\"haproxy_config\" must be a string");
  auto parsed = haproxy::parseHaproxyConfig(text.get_ref<const std::string&>());
  if (!parsed) return invalidArgument("haproxy config: " + parsed.status().message());
  *warnings = parsed->warnings;
  for (std::string& w : processSettingsNotApplied(*parsed)) warnings->push_back(std::move(w));
  return std::move(parsed->listener);
}

// Answers through `reply`: at once when refused here, else when the node has
// opened the sockets (later, for another namespace).
void add(node::Node& node, const json& request, const ReplyTo& reply) {
  auto refused = [&reply](std::string_view why) { reply(refuse(why)); };
  std::vector<std::string> warnings;
  const json* args = request.contains("args") ? &request["args"] : nullptr;
  const json* haproxy_text =
      request.contains("haproxy_config") ? &request["haproxy_config"] : nullptr;
  if ((args != nullptr) == (haproxy_text != nullptr)) {
    return refused("add needs either \"args\" (the listener's options) or \"haproxy_config\"");
  }
  Result<proxy::ListenerConfig> listener =
      args ? listenerFromArgs(*args) : listenerFromHaproxy(*haproxy_text, &warnings);
  if (!listener) return refused(listener.status().message());
  proxy::ListenerConfig config = std::move(*listener);
  if (request.contains("netns")) {
    if (!request["netns"].is_string()) return refused("\"netns\" must be a string");
    config.netns = request["netns"].get<std::string>();
  }
  std::string netns = config.netns;
  node.add(std::move(config), [reply, netns, warnings](node::Node::Added added) {
    if (!added) return reply(refuse(added.status().message()));
    reply(dump(json{{"ok", true},
                    {"uuid", (*added)->config().uuid},
                    {"netns", netns},
                    {"listening", (*added)->describe()},
                    {"warnings", warnings}}));
  });
}

// A JSON string literal (quotes, escapes; invalid UTF-8 replaced).
std::string jsonString(std::string_view s) { return dump(json(std::string(s))); }

// One `list` entry, written straight to text: a node may hold thousands of
// listeners, and a JSON tree of them all would cost far more than they do.
void describe(const proxy::Listener& l, std::string* out) {
  const proxy::Counters& c = l.counters();
  std::string replies;
  c.forEachLocalReply([&replies](std::string_view reason, uint64_t n) {
    fmt::format_to(std::back_inserter(replies), "{}\"{}\":{}", replies.empty() ? "" : ",", reason,
                   n);
  });
  const proxy::UpstreamPool::Stats& up = l.upstreams().stats();
  fmt::format_to(std::back_inserter(*out),
                 "{{\"uuid\":{},\"netns\":{},\"identity\":{{\"header\":{},\"value\":{}}},"
                 "\"listening\":{},\"upstream\":{},\"draining\":{},\"active\":{},\"accepted\":{},"
                 "\"requests\":{},\"responses\":{{\"2xx\":{},\"3xx\":{},\"4xx\":{},\"5xx\":{}}},"
                 "\"local_replies\":{{{}}},\"upstream_opened\":{},\"upstream_reused\":{}}}",
                 jsonString(l.config().uuid), jsonString(l.config().netns),
                 jsonString(l.identity().header), jsonString(l.identity().value),
                 jsonString(l.describe()), jsonString(l.config().upstream_socket), l.retiring(),
                 c.active, c.accepted, c.requests, c.responses_by_class[2], c.responses_by_class[3],
                 c.responses_by_class[4], c.responses_by_class[5], replies, up.opened, up.reused);
}

// The reply to `line`, or "" when add() answers through `reply` itself.
std::string answerAtOnce(node::Node& node, std::string_view line, const ReplyTo& reply) {
  json request = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded() || !request.is_object()) {
    return refuse("request is not a JSON object: " + std::string(line.substr(0, 80)) +
                  (line.size() > 80 ? "..." : ""));
  }
  if (!request.contains("op") || !request["op"].is_string()) {
    return refuse("request has no \"op\" (add, remove, list, metrics or health)");
  }
  const std::string& op = request["op"].get_ref<const std::string&>();
  if (op == "add") {
    add(node, request, reply);
    return {};
  }
  if (op == "remove") {
    if (!request.contains("uuid") || !request["uuid"].is_string()) {
      return refuse("remove needs \"uuid\"");
    }
    std::string uuid = request["uuid"].get<std::string>();
    auto left = node.remove(uuid);
    if (!left) return refuse(left.status().message());
    return dump(json{{"ok", true}, {"uuid", uuid}, {"draining", *left}});
  }
  if (op == "list") {
    std::string out = "{\"ok\":true,\"listeners\":[";
    bool first = true;
    for (const proxy::Listener* l : node.listeners()) {
      if (!std::exchange(first, false)) out += ',';
      describe(*l, &out);
    }
    return out + "]}";
  }
  if (op == "metrics") {
    return "{\"ok\":true,\"metrics\":" + jsonString(metrics::scrape(node.listeners())) + "}";
  }
  if (op == "health") {
    std::vector<std::string> problems = metrics::checkHealth(node.listeners());
    return dump(json{{"ok", true}, {"healthy", problems.empty()}, {"problems", problems}});
  }
  return refuse(fmt::format("unknown op '{}' (add, remove, list, metrics or health)", op));
}

}  // namespace

void handleControlLine(node::Node& node, std::string_view line, const ReplyTo& reply) {
  std::string now = answerAtOnce(node, line, reply);
  if (!now.empty()) reply(std::move(now));
}

std::string controlLineTooLongReply() {
  return refuse(fmt::format("request line longer than {} bytes", node::ControlServer::kMaxLine));
}

}  // namespace nsmp::app
