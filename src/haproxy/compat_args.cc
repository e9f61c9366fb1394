#include "haproxy/compat_args.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
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

int version(bool verbose) {
  std::printf("ns-metadata-proxy version %s (commit %s; haproxy-compatible mode)\n",
              projectVersion(), buildCommit());
  if (verbose) {
    std::printf(
        "Runs its own engine from the haproxy configurations OpenStack Neutron and OVN\n"
        "generate for the metadata proxy; other haproxy configurations are refused.\n"
        "Supported options: -f FILE, -c, -db, -D, -p PIDFILE, -q, -v, -vv, -h.\n");
  }
  return 0;
}

// What the command line asks for.
struct Args {
  std::string file;
  std::string pidfile;
  bool check = false;
  bool foreground = false;
  bool background = false;
};

// Applies one option (with its value, or nullptr); returns an exit code when
// the process should stop now.
using OptionFn = std::optional<int> (*)(Args& args, const char* value);

struct Option {
  std::string_view name;
  bool takes_file;  // "-f FILE", "-p PIDFILE"
  OptionFn apply;
};

// clang-format off
constexpr Option kOptions[] = {
  {"-f", true, [](Args& a, const char* file) -> std::optional<int> {
     if (!a.file.empty()) return usage("only one -f FILE is supported");
     a.file = file;
     return std::nullopt;
   }},
  {"-p", true, [](Args& a, const char* file) -> std::optional<int> {
     a.pidfile = file;
     return std::nullopt;
   }},
  {"-c", false, [](Args& a, const char*) -> std::optional<int> {
     a.check = true;
     return std::nullopt;
   }},
  {"-db", false, [](Args& a, const char*) -> std::optional<int> {
     a.foreground = true;
     return std::nullopt;
   }},
  {"-D", false, [](Args& a, const char*) -> std::optional<int> {
     a.background = true;
     return std::nullopt;
   }},
  // -q: accepted; nothing is printed at start anyway.
  {"-q", false, [](Args&, const char*) -> std::optional<int> { return std::nullopt; }},
  {"-h", false, [](Args&, const char*) -> std::optional<int> { return help(); }},
  {"-v", false, [](Args&, const char*) -> std::optional<int> { return version(false); }},
  {"-vv", false, [](Args&, const char*) -> std::optional<int> { return version(true); }},
};
// clang-format on

// Fills `args`; returns an exit code when the process should stop now.
std::optional<int> readOptions(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    const Option* option = std::find_if(std::begin(kOptions), std::end(kOptions),
                                        [a](const Option& o) { return o.name == a; });
    if (option == std::end(kOptions)) {
      std::string what = "unsupported option '" + std::string(a) + "'";
      return usage(what.c_str());
    }
    const char* value = nullptr;
    if (option->takes_file) {
      if (i + 1 >= argc) return usage((std::string(a) + " needs a file").c_str());
      value = argv[++i];
    }
    if (auto code = option->apply(*args, value)) return code;
  }
  return std::nullopt;
}

// -c: the configuration and its user and group; the exit code.
int check(const std::string& file, const HaproxyConfig& parsed) {
  // As haproxy -c does: a user or group that does not exist fails the check
  // (the engine would refuse to start with it).
  auto credentials = daemon::resolveCredentials(parsed.process.user, parsed.process.group);
  if (!credentials) {
    std::fprintf(stderr, "ns-metadata-proxy: %s: %s\n", file.c_str(),
                 credentials.status().message().c_str());
    return 1;
  }
  std::printf("Configuration file is valid\n");
  return 0;
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
  Args args;
  if (auto code = readOptions(argc, argv, &args)) return code;
  const std::string& file = args.file;
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
    if (args.check) {
      std::fprintf(stderr, "ns-metadata-proxy: warning: %s: %s\n", file.c_str(), w.c_str());
    } else {
      log::warning("{}: {}", file, w);
    }
  }
  if (args.check) return check(file, *parsed);
  *process = parsed->process;
  *listener = parsed->listener;
  if (args.background) process->daemonize = true;
  if (args.foreground) process->daemonize = false;
  if (!args.pidfile.empty()) process->pid_file = args.pidfile;
  return std::nullopt;
}

}  // namespace nsmp::haproxy
