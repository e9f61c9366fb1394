#include "haproxy/compat_args.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "base/log.h"
#include "base/version.h"
#include "daemon/privileges.h"
#include "haproxy/config_parser.h"

namespace nsmp::haproxy {
namespace {

constexpr const char* kUsageLine =
    "usage: haproxy [-c] -f FILE [-db | -D] [-p PIDFILE] [-q] | -v | -vv | -h\n";

int usage(const char* what) {
  std::fprintf(stderr, "ns-metadata-proxy (haproxy mode): %s\n%s", what, kUsageLine);
  return 1;
}

int help() {
  std::printf(
      "%s"
      "\n"
      "ns-metadata-proxy installed as haproxy: runs its own engine from the haproxy\n"
      "configuration Neutron's or OVN's agent wrote (docs/haproxy.md).\n"
      "\n"
      "  -f FILE     the configuration to run (one file)\n"
      "  -c          check the configuration and exit (0: valid)\n"
      "  -db         stay in the foreground (overrides `daemon`)\n"
      "  -D          run in the background (as `daemon`)\n"
      "  -p PIDFILE  pidfile (overrides `pidfile`)\n"
      "  -q          quiet (accepted; nothing is printed at start)\n"
      "  -v, -vv     show the version and exit\n"
      "  -h          this text\n"
      "\n"
      "Other haproxy options (master-worker -W, -Ws; reloads -sf, -st) are refused.\n",
      kUsageLine);
  return 0;
}

// The configuration file's text; fails with "cannot read <path>: <reason>".
Result<std::string> readFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return invalidArgument("cannot read " + path +
                           ": is a directory (give the configuration file)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::fromErrno("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

bool wantsHaproxyMode(int argc, char** argv) {
  if (argc >= 1 && argv[0] != nullptr) {
    std::string_view a0 = argv[0];
    size_t slash = a0.rfind('/');
    if (slash != std::string_view::npos) a0.remove_prefix(slash + 1);
    if (a0 == "haproxy") return true;
  }
  if (argc < 2) return false;
  std::string_view first = argv[1];
  return first == "-f" || first == "-c" || first == "-v" || first == "-vv" || first == "-db" ||
         first == "-D" || first == "-p" || first == "-q";
}

std::optional<int> parseHaproxyArgs(int argc, char** argv, daemon::ProcessConfig* process,
                                    proxy::ListenerConfig* listener) {
  std::string file;
  std::string pidfile;
  bool check = false;
  bool foreground = false;
  bool background = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-f") {
      if (i + 1 >= argc) return usage("-f needs a file");
      if (!file.empty()) return usage("only one -f FILE is supported");
      file = argv[++i];
    } else if (a == "-p") {
      if (i + 1 >= argc) return usage("-p needs a file");
      pidfile = argv[++i];
    } else if (a == "-c") {
      check = true;
    } else if (a == "-db") {
      foreground = true;
    } else if (a == "-D") {
      background = true;
    } else if (a == "-q") {
    } else if (a == "-h") {
      return help();
    } else if (a == "-v" || a == "-vv") {
      std::printf("ns-metadata-proxy version %s (commit %s; haproxy-compatible mode)\n",
                  projectVersion(), buildCommit());
      if (a == "-vv") {
        std::printf(
            "Runs its own engine from the haproxy configurations OpenStack Neutron and OVN\n"
            "generate for the metadata proxy; other haproxy configurations are refused.\n"
            "Supported options: -f FILE, -c, -db, -D, -p PIDFILE, -q, -v, -vv, -h.\n");
      }
      return 0;
    } else {
      std::string what = "unsupported option '" + std::string(a) + "'";
      return usage(what.c_str());
    }
  }
  if (file.empty()) return usage("no configuration file (-f FILE)");
  Result<std::string> text = readFile(file);
  if (!text) {
    std::fprintf(stderr, "ns-metadata-proxy: %s\n", text.status().message().c_str());
    return 1;
  }
  auto parsed = parseHaproxyConfig(*text);
  if (!parsed) {
    std::fprintf(stderr, "ns-metadata-proxy: %s: %s\n", file.c_str(),
                 parsed.status().message().c_str());
    return 1;
  }
  for (const std::string& w : parsed->warnings) {
    if (check) {
      std::fprintf(stderr, "ns-metadata-proxy: warning: %s: %s\n", file.c_str(), w.c_str());
    } else {
      log::warning("{}: {}", file, w);
    }
  }
  if (check) {
    // As haproxy -c does: a user or group that does not exist fails the check
    // (the engine would refuse to start with it).
    auto credentials = daemon::resolveCredentials(parsed->process.user, parsed->process.group);
    if (!credentials) {
      std::fprintf(stderr, "ns-metadata-proxy: %s: %s\n", file.c_str(),
                   credentials.status().message().c_str());
      return 1;
    }
    std::printf("Configuration file is valid\n");
    return 0;
  }
  *process = parsed->process;
  *listener = parsed->listener;
  if (background) process->daemonize = true;
  if (foreground) process->daemonize = false;
  if (!pidfile.empty()) process->pid_file = pidfile;
  return std::nullopt;
}

}  // namespace nsmp::haproxy
