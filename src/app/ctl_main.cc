// `ns-metadata-proxy ctl`: one request to the node, its reply printed.
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/node_main.h"
#include "base/result.h"
#include "net/fd.h"

namespace nsmp::app {
namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "usage: ns-metadata-proxy ctl [--control PATH] COMMAND\n"
    "\n"
    "  add [--netns NS] --network_id ID | --router_id ID [listener options]\n"
    "  add [--netns NS] -f HAPROXY-CONFIG\n"
    "  remove UUID\n"
    "  list\n"
    "  metrics           the metrics page (Prometheus text format)\n"
    "  health            \"ok\" (exit 0), or one line per problem (exit 1)\n"
    "\n"
    "Asks the node on the control socket (default /run/ns-metadata-proxy.sock) and\n"
    "prints its JSON reply. Exit 0: done; 1: refused or the node unreachable; 2: usage.\n"
    "Listener options are those of the single proxy (ns-metadata-proxy --help) that\n"
    "concern one listener; see docs/node.md.\n";

int usage(const std::string& why) {
  std::fprintf(stderr, "ns-metadata-proxy ctl: %s (see --help)\n", why.c_str());
  return 2;
}

int failure(const std::string& why) {
  std::fprintf(stderr, "ns-metadata-proxy ctl: %s\n", why.c_str());
  return 1;
}

// "--name VALUE" or "--name=VALUE" at args[*i]; advances *i past the value.
std::optional<std::string> takeValue(const std::vector<std::string>& args, size_t* i,
                                     const std::string& name) {
  const std::string& arg = args[*i];
  if (arg.starts_with(name + "=")) return arg.substr(name.size() + 1);
  if (arg == name && *i + 1 < args.size()) return args[++*i];
  return std::nullopt;
}

// Builds the add request; returns an exit code on a usage error.
std::optional<int> addRequest(const std::vector<std::string>& args, json* request) {
  std::vector<std::string> rest;
  std::optional<std::string> netns;
  std::optional<std::string> file;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--netns" || args[i].starts_with("--netns=")) {
      netns = takeValue(args, &i, "--netns");
      if (!netns || netns->empty()) return usage("--netns needs a namespace name or path");
    } else if (args[i] == "-f") {
      if (i + 1 >= args.size()) return usage("-f needs a file");
      file = args[++i];
    } else {
      rest.push_back(args[i]);
    }
  }
  *request = json{{"op", "add"}};
  if (netns) (*request)["netns"] = *netns;
  if (file) {
    if (!rest.empty()) return usage("add -f FILE takes no listener options but --netns");
    std::ifstream in(*file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return failure(Status::fromErrno("cannot read " + *file).message());
    (*request)["haproxy_config"] = text.str();
    return std::nullopt;
  }
  if (rest.empty())
    return usage("add needs the listener's options (--network_id ID ...) or -f FILE");
  (*request)["args"] = rest;
  return std::nullopt;
}

// Sends one line, reads one line back (bounded in time).
Result<std::string> ask(const std::string& path, const std::string& line) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof sun.sun_path) {
    return invalidArgument("control socket path too long: " + path);
  }
  std::memcpy(sun.sun_path, path.data(), path.size());
  net::Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid() || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
    return Status::fromErrno("cannot reach the node at " + path);
  }
  timeval tv{60, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string out = line + "\n";
  for (size_t sent = 0; sent < out.size();) {
    ssize_t n = ::send(fd.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Status::fromErrno("cannot send to the node at " + path);
    }
    sent += static_cast<size_t>(n);
  }
  std::string reply;
  char buf[65536];
  while (reply.find('\n') == std::string::npos) {
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return Status::fromErrno("no reply from the node at " + path);
    }
    if (n == 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  if (size_t nl = reply.find('\n'); nl != std::string::npos) reply.resize(nl);
  return reply;
}

// The request for `command` and its arguments `rest`; returns an exit code
// on a usage error.
std::optional<int> buildRequest(const std::string& command, const std::vector<std::string>& rest,
                                json* request) {
  if (command == "add") return addRequest(rest, request);
  if (command == "remove") {
    if (rest.size() != 1) return usage("remove takes one uuid");
    *request = json{{"op", "remove"}, {"uuid", rest[0]}};
    return std::nullopt;
  }
  if (command == "list" || command == "metrics" || command == "health") {
    if (!rest.empty()) return usage(command + " takes no arguments");
    *request = json{{"op", command}};
    return std::nullopt;
  }
  return usage("unknown command '" + command + "' (add, remove, list, metrics or health)");
}

// Prints the node's reply to `command`; returns the exit code.
int printReply(const std::string& command, const std::string& reply) {
  json parsed = json::parse(reply, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("ok")) {
    return failure("unexpected reply from the node: " + reply.substr(0, 200));
  }
  if (parsed["ok"] != true) {
    std::string why = parsed.contains("error") && parsed["error"].is_string()
                          ? parsed["error"].get<std::string>()
                          : reply;
    return failure(why);
  }
  if (command == "metrics" && parsed.contains("metrics") && parsed["metrics"].is_string()) {
    std::fputs(parsed["metrics"].get_ref<const std::string&>().c_str(), stdout);
    return 0;
  }
  if (command == "health" && parsed.contains("healthy") && parsed.contains("problems")) {
    if (parsed["healthy"] == true) {
      std::puts("ok");
      return 0;
    }
    for (const json& p : parsed["problems"]) {
      if (p.is_string()) std::puts(p.get_ref<const std::string&>().c_str());
    }
    return 1;
  }
  std::printf("%s\n", reply.c_str());
  return 0;
}

}  // namespace

int ctlMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string control = kDefaultControlPath;
  size_t i = 0;
  for (; i < args.size() && args[i].starts_with("-"); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (args[i] != "--control" && !args[i].starts_with("--control=")) {
      return usage("unknown option '" + args[i] + "'");
    }
    auto value = takeValue(args, &i, "--control");
    if (!value || value->empty()) return usage("--control needs a path");
    control = *value;
  }
  if (i >= args.size()) return usage("no command (add, remove, list, metrics or health)");
  std::string command = args[i];
  std::vector<std::string> rest(args.begin() + static_cast<long>(i) + 1, args.end());
  json request;
  if (auto code = buildRequest(command, rest, &request)) return *code;
  auto reply = ask(control, request.dump());
  if (!reply) return failure(reply.status().message());
  return printReply(command, *reply);
}

}  // namespace nsmp::app
