// Every refusal names the line, and nothing is ignored silently.
#include <gtest/gtest.h>

#include "haproxy/config_parser.h"

namespace nsmp::haproxy {
namespace {

// Four lines that make a valid listener (lines 1-4 when used alone).
constexpr const char* kListener =
    "listen l\n"
    " bind 127.0.0.1:9697\n"
    " server s /run/m.sock\n"
    " http-request set-header X-Neutron-Network-ID n1\n";

struct Case {
  std::string text;
  std::string error_prefix;
};

void expectRefused(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    auto parsed = parseHaproxyConfig(c.text);
    if (parsed.ok()) {
      ADD_FAILURE() << "accepted:\n" << c.text;
      continue;
    }
    EXPECT_EQ(parsed.status().message().substr(0, c.error_prefix.size()), c.error_prefix)
        << "config:\n"
        << c.text << "\nerror: " << parsed.status().message();
  }
}

TEST(ConfigErrors, UnsupportedDirectivesBeforeTheListener) {
  auto before = [](const char* lines) { return std::string(lines) + kListener; };
  expectRefused({
      {before("global\n chroot /var/empty\n"), "line 2: unsupported directive 'chroot'"},
      {before("global\n stats socket /run/s\n"), "line 2: unsupported directive 'stats'"},
      {before("global\n ssl-server-verify none\n"), "line 2: unsupported directive 'ssl-server"},
      {before("defaults\n option httpclose\n"), "line 2: unsupported directive 'option httpclose'"},
      {before("defaults\n option forwardfor except 127.0.0.1\n"),
       "line 2: unsupported directive 'option forwardfor except 127.0.0.1'"},
      {before("defaults\n timeout queue 5s\n"), "line 2: unsupported directive 'timeout queue'"},
      {before("defaults\n balance roundrobin\n"), "line 2: unsupported directive 'balance'"},
      {before("defaults\n no log\n"), "line 2: unsupported directive 'no'"},
      {before("frontend f\n"), "line 1: unsupported directive 'frontend'"},
      {before("peers p\n"), "line 1: unsupported directive 'peers'"},
      {before("backend b\n server x /s\n"),
       "line 2: unsupported directive 'server' in a backend (only stick-table)"},
      {before("defaults a from b\n"), "line 1: unsupported directive 'defaults a from b'"},
  });
}

TEST(ConfigErrors, WrongValuesBeforeTheListener) {
  auto before = [](const char* lines) { return std::string(lines) + kListener; };
  expectRefused({
      {before(" bind 1.2.3.4:80\n"), "line 1: 'bind' outside of any section"},
      {before("defaults\n mode tcp\n"), "line 2: only 'mode http' is supported"},
      {before("defaults\n timeout client 0\n"), "line 2: time '0' is zero"},
      {before("defaults\n timeout client 5x\n"), "line 2: '5x' has an unknown time unit"},
      {before("defaults\n timeout client\n"), "line 2: timeout must read"},
      {before("defaults\n retries -1\n"), "line 2: retries '-1' must be a number"},
      {before("global\n log 127.0.0.1:514 local0\n"),
       "line 2: log address '127.0.0.1:514' is not supported"},
      {before("global\n log /dev/log local9\n"), "line 2: unknown syslog facility 'local9'"},
      {before("global\n log /dev/log local0 loud\n"), "line 2: unknown syslog level 'loud'"},
      {before("global\n log global\n"), "line 2: 'log global' belongs in defaults"},
      {before("global\n log /dev/log ntp\n"),
       "line 2: syslog facility 'ntp' is not available through syslog(3)"},
      {before("global\n log /dev/log local0\n log /dev/log local1\n"),
       "line 3: a second log facility ('local1' after 'local0') is not supported"},
      {before("global\n maxconn 0\n"), "line 2: maxconn '0' must be a number"},
      {before("global\n nbthread many\n"), "line 2: nbthread 'many' must be a number"},
      {before("global\n daemon yes\n"), "line 2: 'daemon' takes no value"},
      {before("global\n user\n"), "line 2: 'user' takes one value"},
      {before("global\n uid neutron\n"), "line 2: uid 'neutron' is not a number"},
      {before("global\n log-tag \"open\n"), "line 2: unterminated quote"},
      {before("global\n log-tag \"a\x1b[2Jb\"\n"),
       "line 2: log-tag 'a\\x1b[2Jb' must be 1-255 printable ASCII"},
      {before("global\n log-tag a/../b\n"), "line 2: log-tag 'a/../b' must be"},
      {before("global extra\n"), "line 1: 'global' takes no arguments"},
      {before("backend b\n stick-table type string size 1k store http_req_rate(1s)\n"),
       "line 2: stick-table type 'string' is not supported"},
      {before("backend b\n stick-table type ip size 1k store conn_cnt\n"),
       "line 2: stick-table store 'conn_cnt' is not supported"},
      {before("backend b\n stick-table type ip size 1k\n"),
       "line 2: stick-table needs 'store http_req_rate(<period>)'"},
      {before("backend b\n stick-table type ip store http_req_rate(1s)\n"),
       "line 2: stick-table needs a size"},
      {before("backend b\n stick-table type ip size 1k store http_req_rate(1s) nopurge\n"),
       "line 2: stick-table 'nopurge' needs a value"},
      {before("backend b\n stick-table type ip size 1k store http_req_rate(1s)\n"
              " stick-table type ip size 1k store http_req_rate(1s)\n"),
       "line 3: backend 'b' already has a stick-table"},
  });
}

TEST(ConfigErrors, ListenerLines) {
  auto after = [](const char* lines) { return std::string(kListener) + lines; };
  expectRefused({
      {after(" http-request redirect location /\n"),
       "line 5: unsupported directive 'http-request redirect'"},
      {after(" http-request set-header X-Foo bar\n"),
       "line 5: set-header 'X-Foo' is not supported"},
      {after(" http-request set-header X-Neutron-Network-ID %[src]\n"),
       "line 5: header value '%[src]' must be 1-255 printable ASCII characters"},
      // Issue #10 item 9: the value is the listener's id, which names files.
      {after(" http-request set-header X-Neutron-Network-ID ../../x\n"),
       "line 5: header value '../../x' must be"},
      {after(" http-request set-header X-OVN-Network-ID ..\n"),
       "line 5: header value '..' must be"},
      {after(" http-request set-header X-Neutron-Network-ID n2\n"),
       "line 5: X-Neutron-Network-ID was already given the value 'n1' on line 4"},
      {after(" http-request set-header X-Neutron-Network-ID n1 if TRUE\n"),
       "line 5: set-header with more than a name and a value"},
      {after(" http-request add-header X-Neutron-Router-ID\n"),
       "line 5: add-header needs a header name and a value"},
      {after(" http-request del-header Cookie\n"), "line 5: del-header 'Cookie' is not supported"},
      {after(" http-request del-header X-Forwarded-For if TRUE\n"),
       "line 5: del-header with options or conditions is not supported"},
      {after(" http-request\n"), "line 5: http-request needs an action"},
      {after(" server s2 /run/other\n"),
       "line 5: a second server is not supported; the first is on line 3"},
      {after(" bind 1.2.3.4:80 transparent\n"), "line 5: bind option 'transparent' is not"},
      {after(" bind localhost:80\n"), "line 5: bind address 'localhost:80' does not name an IP"},
      {after(" bind\n"), "line 5: bind needs an address"},
      {after(" acl a src 1.2.3.4\n"), "line 5: unsupported directive 'acl'"},
      {after(" use_backend b\n"), "line 5: unsupported directive 'use_backend'"},
      {after(" http-request deny\n"), "line 5: deny must read 'deny deny_status 429 if"},
      {after(" http-request deny deny_status 403 if { src_http_req_rate(t) gt 1 }\n"),
       "line 5: deny_status 403 is not supported"},
      {after(" http-request deny deny_status 429 if { src_http_req_rate(t) lt 1 }\n"),
       "line 5: comparison 'lt' is not supported"},
      {after(" http-request deny deny_status 429 if { sc0_http_req_rate gt 1 }\n"),
       "line 5: deny must read"},
      {after(" http-request track-sc0 src\n"), "line 5: 'track-sc0' must read"},
      {after(" http-request track-sc0 hdr(x) table t\n"), "line 5: 'track-sc0' must read"},
      {after("listen second\n"),
       "line 5: a second listener ('listen second') is not supported; the first is on line 1"},
      {after("defaults\n"), "line 5: a 'defaults' section after the listener"},
      {after(" http-request add-header X-OVN-Network-ID o1\n"),
       "line 5: X-OVN-Network-ID together with a Neutron identity header (line 4) is ambiguous"},
      {"listen l\n bind 127.0.0.1:1\n server s 127.0.0.1:8775\n",
       "line 3: server address '127.0.0.1:8775' is not a UNIX socket path"},
      {"listen l\n bind 127.0.0.1:1\n server s /a check\n", "line 3: server option 'check'"},
      {"listen l bind\n", "line 1: 'listen' takes exactly a name"},
  });
}

TEST(ConfigErrors, WholeConfigChecksNameTheLine) {
  const std::string rate_prefix =
      "backend t\n"
      " stick-table type ip size 1k store http_req_rate(1s)\n"
      "backend u\n"
      " stick-table type ip size 1k store http_req_rate(1s)\n";
  expectRefused({
      {"", "no 'listen' section: nothing to serve"},
      {"global\n maxconn 5\n", "no 'listen' section"},
      {"listen l\n server s /run/m.sock\n http-request set-header X-Neutron-Network-ID n1\n",
       "line 1: the listener has no bind line"},
      {"defaults\n\nlisten l\n bind 127.0.0.1:1\n http-request set-header X-Neutron-Router-ID r\n",
       "line 3: the listener has no 'server <name> <socket path>' line"},
      {"listen l\n bind 127.0.0.1:1\n server s /run/m.sock\n http-request del-header "
       "X-Neutron-Router-ID\n",
       "line 1: the listener sets no identity header"},
      {std::string(kListener) + " http-request deny deny_status 429 if { "
                                "src_http_req_rate(t) gt 1 }\n",
       "line 5: no backend 't' with a stick-table for this rule"},
      {rate_prefix + kListener +
           " http-request deny deny_status 429 if { src_http_req_rate(t) gt 1 }\n",
       "line 9: table 't' is not tracked by any 'http-request track-sc' rule"},
      {rate_prefix + kListener + " http-request track-sc0 src table u\n",
       "line 9: table 'u' is tracked but no 'http-request deny' rule uses it"},
      {rate_prefix + kListener + " http-request track-sc0 src table t\n" +
           " http-request track-sc1 src table nosuch\n" +
           " http-request deny deny_status 429 if { src_http_req_rate(t) gt 1 }\n",
       "line 10: no backend 'nosuch' with a stick-table to track into"},
      {rate_prefix + kListener + " http-request track-sc0 src table t\n" +
           " http-request deny deny_status 429 if { src_http_req_rate(t) gt 1 }\n" +
           " http-request deny deny_status 429 if { src_http_req_rate(t) gt 2 }\n" +
           " http-request deny deny_status 429 if { src_http_req_rate(t) gt 3 }\n",
       "line 12: a third rate-limit rule is not supported"},
      {rate_prefix + kListener + " http-request track-sc0 src table t\n" +
           " http-request deny deny_status 429 if { src_http_req_rate(t) ge 0 }\n",
       "line 10: 'ge 0' would refuse every request"},
  });
}

TEST(ConfigErrors, AcceptedNoOpsAreExactlyTheDocumentedOnes) {
  // Each of these is valid alone in a defaults section; the same keyword
  // with different arguments is refused (see the tests above).
  for (const char* line : {" option httplog", " option dontlognull", " option http-server-close",
                           " option forwardfor", " log global", " mode http", " retries 3",
                           " log /dev/log local0", " log /dev/log local0 info notice"}) {
    auto parsed = parseHaproxyConfig(std::string("defaults\n") + line + "\n" + kListener);
    EXPECT_TRUE(parsed.ok()) << line << ": " << (parsed.ok() ? "" : parsed.status().message());
  }
}

}  // namespace
}  // namespace nsmp::haproxy
