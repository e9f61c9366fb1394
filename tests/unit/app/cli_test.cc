#include "app/cli.h"

#include "app/cli_options.h"
#include "base/version.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <functional>
#include <string>
#include <vector>

namespace nsmp::app {
namespace {

using Args = std::vector<std::string>;

std::string join(const Args& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

std::string cwd() {
  char buf[PATH_MAX];
  return ::getcwd(buf, sizeof buf) ? buf : "";
}

class CliTest : public ::testing::Test {
 protected:
  // Parses `args` and expects the proxy to go on running.
  Options parseOk(const Args& args) {
    Result<Command> command = parseArguments(args);
    EXPECT_TRUE(command.ok()) << join(args) << "\n" << command.status().message();
    if (!command) return {};
    EXPECT_EQ(command->print, "") << join(args);
    return command->options;
  }

  // Expects a usage error (exit 2): one line naming `fragment`.
  void expectUsageError(const Args& args, const std::string& fragment) {
    Result<Command> command = parseArguments(args);
    ASSERT_FALSE(command.ok()) << join(args);
    const std::string message = command.status().message();
    EXPECT_EQ(command.status().code(), Code::kInvalidArgument) << message;
    EXPECT_NE(message.find(fragment), std::string::npos)
        << join(args) << "\nwanted: " << fragment << "\ngot:    " << message;
    ASSERT_FALSE(message.empty());
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
  }
};

TEST_F(CliTest, DefaultsMatchNeutronAndHaproxyTemplate) {
  Options o = parseOk({"--network_id", "net-1"});
  EXPECT_EQ(o.listener.identity.kind, proxy::IdentityKind::kNetwork);
  EXPECT_EQ(o.listener.identity.value, "net-1");
  EXPECT_EQ(o.listener.uuid, "net-1");
  ASSERT_EQ(o.listener.binds.size(), 1u);
  EXPECT_EQ(o.listener.binds[0].host, "0.0.0.0");
  EXPECT_EQ(o.listener.binds[0].port, 9697);
  EXPECT_EQ(o.listener.binds[0].interface, "");
  EXPECT_EQ(o.listener.upstream_socket, "/var/lib/neutron/metadata_proxy");
  EXPECT_EQ(o.listener.timeouts.http_request, proxy::Millis(30'000));
  EXPECT_EQ(o.listener.timeouts.connect, proxy::Millis(30'000));
  EXPECT_EQ(o.listener.timeouts.client, proxy::Millis(32'000));
  EXPECT_EQ(o.listener.timeouts.server, proxy::Millis(32'000));
  EXPECT_EQ(o.listener.timeouts.http_keep_alive, proxy::Millis(30'000));
  EXPECT_EQ(o.listener.maxconn, 1024u);
  EXPECT_EQ(o.listener.max_body, 1u << 20);
  EXPECT_EQ(o.engine, Engine::kNative);
  EXPECT_EQ(o.process.state_path, "/var/lib/neutron");
  EXPECT_EQ(o.process.pid_file, "");
  EXPECT_TRUE(o.process.daemonize);
  EXPECT_EQ(o.process.user, "");
  EXPECT_EQ(o.process.group, "");
  EXPECT_EQ(o.process.log_target, daemon::LogTarget::kStderr);
  EXPECT_EQ(o.process.log_file, "");
  EXPECT_EQ(o.process.log_tag, "ns-metadata-proxy-net-1");
  EXPECT_FALSE(o.process.debug);
}

TEST_F(CliTest, RouterIdAlone) {
  Options o = parseOk({"--router_id", "r-9"});
  EXPECT_EQ(o.listener.identity.kind, proxy::IdentityKind::kRouter);
  EXPECT_EQ(o.listener.identity.value, "r-9");
  EXPECT_EQ(o.listener.uuid, "r-9");
  EXPECT_EQ(o.process.log_tag, "ns-metadata-proxy-r-9");
}

TEST_F(CliTest, BothIdsNetworkWinsWithWarning) {
  ::testing::internal::CaptureStderr();
  Options o = parseOk({"--router_id", "r-1", "--network_id", "n-1"});
  std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(o.listener.identity.kind, proxy::IdentityKind::kNetwork);
  EXPECT_EQ(o.listener.identity.value, "n-1");
  EXPECT_EQ(o.listener.uuid, "n-1");
  EXPECT_NE(logged.find("WARNING"), std::string::npos) << logged;
  EXPECT_NE(logged.find("r-1"), std::string::npos) << logged;
}

// One row per option: the option's name (underscore spelling), a value, and
// what must hold afterwards. Every row runs in all four spellings.
struct OptionCase {
  std::string name;
  std::string value;  // empty: a flag
  std::function<void(const Options&)> check;
};

std::vector<OptionCase> optionCases() {
  const std::string here = cwd();
  return {
      {"network_id", "abc-123",
       [](const Options& o) {
         EXPECT_EQ(o.listener.identity.value, "abc-123");
         EXPECT_EQ(o.listener.identity.kind, proxy::IdentityKind::kNetwork);
       }},
      {"router_id", "rtr-7",
       [](const Options& o) {
         // the fixture also passes --network_id, which wins
         EXPECT_EQ(o.listener.identity.value, "base-net");
       }},
      {"metadata_port", "8775",
       [](const Options& o) { EXPECT_EQ(o.listener.binds[0].port, 8775); }},
      {"metadata_port", "0", [](const Options& o) { EXPECT_EQ(o.listener.binds[0].port, 0); }},
      {"bind_host", "::1", [](const Options& o) { EXPECT_EQ(o.listener.binds[0].host, "::1"); }},
      {"bind_host", "[2001:db8::5]",
       [](const Options& o) { EXPECT_EQ(o.listener.binds[0].host, "2001:db8::5"); }},
      {"bind_host", "169.254.169.254",
       [](const Options& o) { EXPECT_EQ(o.listener.binds[0].host, "169.254.169.254"); }},
      {"bind_interface", "tap0",
       [](const Options& o) { EXPECT_EQ(o.listener.binds[0].interface, "tap0"); }},
      {"metadata_proxy_socket", "/run/agent.sock",
       [](const Options& o) { EXPECT_EQ(o.listener.upstream_socket, "/run/agent.sock"); }},
      {"metadata_proxy_socket", "rel/agent.sock",
       [here](const Options& o) {
         EXPECT_EQ(o.listener.upstream_socket, here + "/rel/agent.sock");
       }},
      {"state_path", "/srv/neutron/",
       [](const Options& o) {
         EXPECT_EQ(o.process.state_path, "/srv/neutron");
         EXPECT_EQ(o.listener.upstream_socket, "/srv/neutron/metadata_proxy");
       }},
      {"pid_file", "/run/x.pid",
       [](const Options& o) { EXPECT_EQ(o.process.pid_file, "/run/x.pid"); }},
      {"pid_file", "x.pid",
       [here](const Options& o) { EXPECT_EQ(o.process.pid_file, here + "/x.pid"); }},
      {"daemonize", "", [](const Options& o) { EXPECT_TRUE(o.process.daemonize); }},
      {"nodaemonize", "", [](const Options& o) { EXPECT_FALSE(o.process.daemonize); }},
      {"metadata_proxy_user", "nobody",
       [](const Options& o) { EXPECT_EQ(o.process.user, "nobody"); }},
      {"metadata_proxy_user", "65534",
       [](const Options& o) { EXPECT_EQ(o.process.user, "65534"); }},
      {"metadata_proxy_group", "nogroup",
       [](const Options& o) { EXPECT_EQ(o.process.group, "nogroup"); }},
      {"metadata_proxy_watch_log", "", [](const Options&) {}},
      {"nometadata_proxy_watch_log", "", [](const Options&) {}},
      {"log_file", "/var/log/p.log",
       [](const Options& o) {
         EXPECT_EQ(o.process.log_target, daemon::LogTarget::kFile);
         EXPECT_EQ(o.process.log_file, "/var/log/p.log");
       }},
      {"log_dir", "/var/log/neutron",
       [](const Options& o) {
         EXPECT_EQ(o.process.log_target, daemon::LogTarget::kFile);
         EXPECT_EQ(o.process.log_file, "/var/log/neutron/ns-metadata-proxy-base-net.log");
       }},
      {"use_syslog", "",
       [](const Options& o) {
         EXPECT_EQ(o.process.log_target, daemon::LogTarget::kSyslog);
         EXPECT_EQ(o.process.log_tag, "ns-metadata-proxy-base-net");
       }},
      {"syslog_log_facility", "LOG_LOCAL3",
       [](const Options& o) { EXPECT_EQ(o.process.syslog_facility, "LOG_LOCAL3"); }},
      {"debug", "", [](const Options& o) { EXPECT_TRUE(o.process.debug); }},
      {"nodebug", "", [](const Options& o) { EXPECT_FALSE(o.process.debug); }},
      {"verbose", "", [](const Options&) {}},
      {"timeout_http_request", "0.5",
       [](const Options& o) { EXPECT_EQ(o.listener.timeouts.http_request, proxy::Millis(500)); }},
      {"timeout_connect", "2",
       [](const Options& o) { EXPECT_EQ(o.listener.timeouts.connect, proxy::Millis(2000)); }},
      {"timeout_client", "1.25",
       [](const Options& o) { EXPECT_EQ(o.listener.timeouts.client, proxy::Millis(1250)); }},
      {"timeout_server", "0.001",
       [](const Options& o) { EXPECT_EQ(o.listener.timeouts.server, proxy::Millis(1)); }},
      {"timeout_http_keep_alive", "600",
       [](const Options& o) {
         EXPECT_EQ(o.listener.timeouts.http_keep_alive, proxy::Millis(600'000));
       }},
      {"maxconn", "1", [](const Options& o) { EXPECT_EQ(o.listener.maxconn, 1u); }},
      {"maxconn", "1000000", [](const Options& o) { EXPECT_EQ(o.listener.maxconn, 1'000'000u); }},
      {"maxconn_per_source", "0",
       [](const Options& o) { EXPECT_EQ(o.listener.maxconn_per_source, 0u); }},
      {"maxconn_per_source", "8",
       [](const Options& o) { EXPECT_EQ(o.listener.maxconn_per_source, 8u); }},
      {"max_body_size", "4096", [](const Options& o) { EXPECT_EQ(o.listener.max_body, 4096u); }},
      {"upstream_keepalive", "16",
       [](const Options& o) { EXPECT_EQ(o.listener.upstream_keepalive, 16u); }},
      {"upstream_keepalive", "0",
       [](const Options& o) { EXPECT_EQ(o.listener.upstream_keepalive, 0u); }},
      {"timeout_upstream_idle", "1.5",
       [](const Options& o) { EXPECT_EQ(o.listener.upstream_idle, proxy::Millis(1500)); }},
      {"max_body_size", "2M", [](const Options& o) { EXPECT_EQ(o.listener.max_body, 2u << 20); }},
      {"engine", "haproxy", [](const Options& o) { EXPECT_EQ(o.engine, Engine::kHaproxy); }},
      {"engine", "native", [](const Options& o) { EXPECT_EQ(o.engine, Engine::kNative); }},
      {"metrics_socket", "/run/m.sock",
       [](const Options& o) { EXPECT_EQ(o.process.metrics_socket, "/run/m.sock"); }},
  };
}

std::string dashed(std::string name) {
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  return name;
}

TEST_F(CliTest, EveryOptionInEverySpelling) {
  for (const OptionCase& c : optionCases()) {
    for (const std::string& name : {c.name, dashed(c.name)}) {
      std::vector<Args> spellings;
      if (c.value.empty()) {
        spellings.push_back({"--" + name});
      } else {
        spellings.push_back({"--" + name, c.value});
        spellings.push_back({"--" + name + "=" + c.value});
      }
      for (Args args : spellings) {
        if (c.name != "network_id") args.insert(args.begin(), {"--network_id", "base-net"});
        SCOPED_TRACE(join(args));
        ::testing::internal::CaptureStderr();  // the both-ids warning
        Options o = parseOk(args);
        ::testing::internal::GetCapturedStderr();
        c.check(o);
      }
    }
  }
}

TEST_F(CliTest, EveryTableOptionHasACase) {
  std::vector<OptionCase> cases = optionCases();
  for (const cli::OptionSpec& spec : cli::optionTable()) {
    if (spec.name == "help" || spec.name == "version") continue;  // HelpAndVersion...
    std::string key(spec.name);
    for (char& c : key) c = c == '-' ? '_' : c;
    bool covered = false;
    for (const OptionCase& c : cases) covered = covered || c.name == key;
    EXPECT_TRUE(covered) << "no OptionCase for --" << spec.name;
  }
}

TEST_F(CliTest, FlagsTakeBooleanValuesAfterEquals) {
  EXPECT_FALSE(parseOk({"--network_id=n", "--daemonize=false"}).process.daemonize);
  EXPECT_TRUE(parseOk({"--network_id=n", "--nodaemonize", "--daemonize=yes"}).process.daemonize);
  EXPECT_FALSE(parseOk({"--network_id=n", "--use-syslog=0"}).process.log_target ==
               daemon::LogTarget::kSyslog);
  EXPECT_TRUE(parseOk({"--network_id=n", "--debug=True"}).process.debug);
}

TEST_F(CliTest, LastValueWins) {
  Options o = parseOk({"--network_id", "a", "--metadata_port", "1", "--metadata_port=2"});
  EXPECT_EQ(o.listener.binds[0].port, 2);
}

TEST_F(CliTest, NeutronLogArgumentsJoinFileAndDir) {
  // What neutron/agent/common/utils.py get_log_args() passes.
  Options o = parseOk({"--network_id=n1", "--log-file=neutron-ns-metadata-proxy-n1.log",
                       "--log-dir=/var/log/neutron"});
  EXPECT_EQ(o.process.log_target, daemon::LogTarget::kFile);
  EXPECT_EQ(o.process.log_file, "/var/log/neutron/neutron-ns-metadata-proxy-n1.log");
  o = parseOk({"--network_id=n1", "--log-file=/abs/p.log", "--log-dir=/var/log/neutron"});
  EXPECT_EQ(o.process.log_file, "/abs/p.log");
  o = parseOk({"--network_id=n1", "--log-file=p.log"});
  EXPECT_EQ(o.process.log_file, cwd() + "/p.log");
}

TEST_F(CliTest, LogFileWinsOverSyslog) {
  Options o = parseOk({"--network_id=n1", "--use-syslog", "--log-file=/l.log"});
  EXPECT_EQ(o.process.log_target, daemon::LogTarget::kFile);
}

TEST_F(CliTest, NeutronAgentCommandLine) {
  // As neutron/agent/metadata/driver.py (2017) built it.
  Options o = parseOk(
      {"--pid_file=/var/lib/neutron/external/pids/r1.pid",
       "--metadata_proxy_socket=/var/lib/neutron/metadata_proxy", "--router_id=r1",
       "--state_path=/var/lib/neutron", "--metadata_port=9697", "--metadata_proxy_user=65534",
       "--metadata_proxy_group=65534", "--debug", "--nometadata_proxy_watch_log",
       "--log-file=neutron-ns-metadata-proxy-r1.log", "--log-dir=/var/log/neutron"});
  EXPECT_EQ(o.listener.identity.kind, proxy::IdentityKind::kRouter);
  EXPECT_EQ(o.process.pid_file, "/var/lib/neutron/external/pids/r1.pid");
  EXPECT_EQ(o.process.user, "65534");
  EXPECT_EQ(o.process.log_file, "/var/log/neutron/neutron-ns-metadata-proxy-r1.log");
}

TEST_F(CliTest, LinkLocalBindNeedsInterface) {
  Options o = parseOk({"--network_id=n", "--bind_host=fe80::a9fe:a9fe", "--bind_interface=ns-1"});
  EXPECT_EQ(o.listener.binds[0].host, "fe80::a9fe:a9fe");
  EXPECT_EQ(o.listener.binds[0].interface, "ns-1");
  o = parseOk({"--network_id=n", "--bind_host=fe80::a9fe:a9fe%ns-2"});
  EXPECT_EQ(o.listener.binds[0].host, "fe80::a9fe:a9fe");
  EXPECT_EQ(o.listener.binds[0].interface, "ns-2");
  o = parseOk({"--network_id=n", "--bind_host=[fe80::1%ns-2]", "--bind_interface=ns-2"});
  EXPECT_EQ(o.listener.binds[0].interface, "ns-2");
  // IPv4 with an interface: SO_BINDTODEVICE works for it too.
  o = parseOk({"--network_id=n", "--bind_host=169.254.169.254", "--bind_interface=tap1"});
  EXPECT_EQ(o.listener.binds[0].interface, "tap1");
}

TEST_F(CliTest, HelpAndVersionExitZeroOnStdout) {
  for (const Args& args : {Args{"--help"}, Args{"-h"}, Args{"--network_id=n", "--help"}}) {
    Result<Command> command = parseArguments(args);
    ASSERT_TRUE(command.ok()) << join(args) << ": " << command.status().message();
    const std::string& output = command->print;
    EXPECT_TRUE(output.starts_with("usage: ns-metadata-proxy")) << output;
    for (const char* name : {"--network_id",
                             "--router_id",
                             "--metadata_port",
                             "--bind_host",
                             "--bind_interface",
                             "--metadata_proxy_socket",
                             "--state_path",
                             "--pid_file",
                             "--nodaemonize",
                             "--metadata_proxy_user",
                             "--metadata_proxy_group",
                             "--log-file",
                             "--use-syslog",
                             "--debug",
                             "--timeout_http_request",
                             "--timeout_connect",
                             "--timeout_client",
                             "--timeout_server",
                             "--timeout_http_keep_alive",
                             "--maxconn",
                             "--maxconn_per_source",
                             "--max_body_size",
                             "--upstream_keepalive",
                             "--timeout_upstream_idle",
                             "--engine",
                             "--version"}) {
      EXPECT_NE(output.find(name), std::string::npos) << name;
    }
    size_t start = 0;
    while (start < output.size()) {
      size_t end = output.find('\n', start);
      ASSERT_NE(end, std::string::npos);
      EXPECT_LE(end - start, 80u) << output.substr(start, end - start);
      start = end + 1;
    }
  }
  Result<Command> command = parseArguments({"--version"});
  ASSERT_TRUE(command.ok()) << command.status().message();
  // The version CMake's project() names; the commit as the build found it.
  EXPECT_EQ(command->print, std::string("ns-metadata-proxy " NSMP_TEST_VERSION " (commit ") +
                                buildCommit() + ")\n");
}

struct ErrorCase {
  Args args;
  std::string fragment;
};

TEST_F(CliTest, EveryUsageErrorExitsTwoWithOneLine) {
  const std::string id255(255, 'a');
  const std::vector<ErrorCase> cases = {
      {{}, "--network_id or --router_id is required"},
      {{"--metadata_port=80"}, "--network_id or --router_id is required"},
      {{"--network_id"}, "--network_id needs a value"},
      {{"--network_id", "--router_id", "r"}, "--network_id needs a value"},
      {{"--network_id="}, "--network_id: must be 1-255 printable ASCII"},
      {{"--network_id", "a b"}, "--network_id: 'a b' must be 1-255 printable ASCII"},
      {{"--router-id", id255 + "a"}, "--router-id: must be 1-255 printable ASCII"},
      {{"--network_id", "tab\there"}, "printable ASCII characters without spaces"},
      {{"--network_id", "caf\xc3\xa9"}, "--network_id: 'caf\\xc3\\xa9' must be 1-255 printable"},
      // Issue #10 item 9: the id names <state_path>/ns-metadata-proxy/<id>.conf
      // and ns-metadata-proxy-<id>.log: one path component, nothing else.
      {{"--network_id", "../../x"}, "--network_id: '../../x' must be 1-255 printable ASCII"},
      {{"--router_id", ".."}, "--router_id: '..' must be"},
      {{"--router_id", "a/b"}, "--router_id: 'a/b' must be"},
      {{"--network_id", "50%"}, "--network_id: '50%' must be"},
      {{"--network_id=n", "--metadata_port", "abc"},
       "--metadata_port: 'abc' is not a port number (1-65535"},
      {{"--network_id=n", "--metadata-port=65536"},
       "--metadata-port: '65536' is not a port number"},
      {{"--network_id=n", "--metadata_port=-1"}, "'-1' is not a port number"},
      {{"--network_id=n", "--metadata_port="}, "'' is not a port number"},
      {{"--network_id=n", "--bind_host=localhost"},
       "--bind_host: 'localhost' is not an IPv4 or IPv6 address"},
      {{"--network_id=n", "--bind_host=1.2.3.4.5"}, "is not an IPv4 or IPv6 address"},
      {{"--network_id=n", "--bind_host=10.0.0.1%eth0"}, "only IPv6 addresses take a %interface"},
      {{"--network_id=n", "--bind_host=fe80::a9fe:a9fe"},
       "--bind_host: link-local address fe80::a9fe:a9fe needs --bind_interface"},
      {{"--network_id=n", "--bind_host=fe80::1%a", "--bind_interface=b"},
       "--bind_host says interface 'a' but --bind_interface says 'b'"},
      {{"--network_id=n", "--bind_interface=this-name-is-too-long"},
       "--bind_interface: 'this-name-is-too-long' is not a network interface name"},
      {{"--network_id=n", "--bind_interface=a/b"}, "is not a network interface name"},
      {{"--network_id=n", "--metadata_proxy_socket="}, "--metadata_proxy_socket: needs a path"},
      {{"--network_id=n", "--state_path="}, "--state_path: needs a path"},
      {{"--network_id=n", "--pid_file="}, "--pid_file: needs a path"},
      {{"--network_id=n", "--log-file="}, "--log-file: needs a path"},
      {{"--network_id=n", "--metadata_proxy_user="}, "--metadata_proxy_user: needs a user"},
      {{"--network_id=n", "--metadata_proxy_group="}, "--metadata_proxy_group: needs a user"},
      {{"--network_id=n", "--daemonize=maybe"}, "--daemonize: 'maybe' is not true or false"},
      {{"--network_id=n", "--nodaemonize=true"}, "--nodaemonize takes no value"},
      {{"--network_id=n", "--syslog-log-facility=LOG_NOPE"},
       "--syslog-log-facility: 'LOG_NOPE' is not a syslog facility"},
      {{"--network_id=n", "--timeout_http_request=abc"},
       "--timeout_http_request: 'abc' is not a number of seconds"},
      {{"--network_id=n", "--timeout_connect=0"}, "--timeout_connect: '0' must be more than 0"},
      {{"--network_id=n", "--timeout_client=0.0001"}, "must be more than 0"},
      {{"--network_id=n", "--timeout_server=-1"}, "'-1' is not a number of seconds"},
      {{"--network_id=n", "--timeout_http_keep_alive=1e3"}, "'1e3' is not a number of seconds"},
      {{"--network_id=n", "--timeout_server=3000000"}, "'3000000' is too long"},
      {{"--network_id=n", "--maxconn=0"}, "--maxconn: '0' is not a number from 1 to 1000000"},
      {{"--network_id=n", "--maxconn=1000001"}, "is not a number from 1 to 1000000"},
      {{"--network_id=n", "--maxconn=ten"}, "'ten' is not a number from 1 to 1000000"},
      {{"--network_id=n", "--max_body_size=lots"},
       "--max_body_size: 'lots' is not a size in bytes"},
      {{"--network_id=n", "--max_body_size=2T"}, "'2T' is not a size in bytes"},
      {{"--network_id=n", "--upstream_keepalive=1025"},
       "--upstream_keepalive: '1025' is not a number from 0 to 1024"},
      {{"--network_id=n", "--engine=nginx"},
       "--engine: 'nginx' is not an engine (native or haproxy)"},
      {{"--network_id=n", "--bogus"}, "unknown option '--bogus' (see --help)"},
      {{"--network_id=n", "--bogus=1"}, "unknown option '--bogus'"},
      {{"--network_id=n", "--nometadata_port"}, "unknown option '--nometadata_port'"},
      {{"--network_id=n", "stray"}, "unexpected argument 'stray'"},
      {{"--network_id=n", "-x"}, "unexpected argument '-x'"},
      {{"--network_id=n", "--"}, "unexpected argument '--'"},
      {{"--network_id=n", "--maxconn"}, "--maxconn needs a value"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(join(c.args));
    expectUsageError(c.args, c.fragment);
  }
}

TEST_F(CliTest, ParseCommandLinePrintsAndReturnsExitCode) {
  std::vector<std::string> storage = {"ns-metadata-proxy", "--metadata_port", "abc"};
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  Options o;
  ::testing::internal::CaptureStderr();
  std::optional<int> rc = parseCommandLine(static_cast<int>(argv.size()), argv.data(), &o);
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(rc.has_value());
  EXPECT_EQ(*rc, 2);
  EXPECT_EQ(err,
            "ns-metadata-proxy: --metadata_port: 'abc' is not a port number (1-65535, or 0 for "
            "any free port)\n");

  storage = {"ns-metadata-proxy", "--router_id", "r"};
  argv.clear();
  for (auto& s : storage) argv.push_back(s.data());
  rc = parseCommandLine(static_cast<int>(argv.size()), argv.data(), &o);
  EXPECT_FALSE(rc.has_value());
  EXPECT_EQ(o.listener.identity.value, "r");
}

}  // namespace
}  // namespace nsmp::app

namespace nsmp::app {
namespace {

// The node's `add` takes what one listener serves; how the process runs
// belongs to `node` itself.
TEST(ListenerArgumentsTest, EveryProcessOptionIsRefusedListenerOptionsPass) {
  for (const cli::OptionSpec& spec : cli::optionTable()) {
    std::string option = "--" + std::string(spec.name);
    Args args = {"--network_id", "n"};
    if (spec.flag) {
      args.push_back(option);
    } else {
      args.insert(args.end(), {option, "1"});
    }
    Result<Command> command = parseListenerArguments(args);
    const std::string message = command.status().message();
    if (cli::isProcessOption(spec.name)) {
      EXPECT_FALSE(command.ok()) << option;
      EXPECT_EQ(message, option + " is a process option (give it to node)");
    } else {
      // A listener option: never refused as a process option (its value
      // may still be wrong for it, e.g. "1" as an address).
      EXPECT_EQ(message.find("process option"), std::string::npos) << message;
    }
  }
  for (const char* name :
       {"pid_file", "daemonize", "metadata_proxy_user", "log-file", "debug", "engine", "help"}) {
    EXPECT_TRUE(cli::isProcessOption(name)) << name;
  }
  for (const char* name : {"network_id", "router_id", "metadata_port", "bind_host",
                           "metadata_proxy_socket", "maxconn", "upstream_keepalive"}) {
    EXPECT_FALSE(cli::isProcessOption(name)) << name;
  }
}

TEST(ListenerArgumentsTest, NegatedProcessFlagIsNamedAsWritten) {
  Result<Command> command = parseListenerArguments({"--network_id", "n", "--nodaemonize"});
  EXPECT_EQ(command.status().message(), "--nodaemonize is a process option (give it to node)");
}

}  // namespace
}  // namespace nsmp::app
