#include "haproxy/config_writer.h"

#include <fmt/format.h>

#include "http/identity.h"

namespace nsmp::haproxy {
namespace {

std::string bindLine(const proxy::BindAddress& b) {
  bool v6 = b.host.find(':') != std::string::npos;
  std::string line = v6 && !b.interface.empty() ? fmt::format("    bind [{}]:{}", b.host, b.port)
                                                : fmt::format("    bind {}:{}", b.host, b.port);
  if (!b.interface.empty()) line += " interface " + b.interface;
  return line + "\n";
}

// `ceil(ms / 1000)` seconds: Neutron's rate-limit options are whole seconds.
std::string seconds(proxy::Millis d) { return fmt::format("{}s", (d.count() + 999) / 1000); }

}  // namespace

std::string formatDuration(proxy::Millis d) {
  if (d.count() % 1000 == 0) return fmt::format("{}s", d.count() / 1000);
  return fmt::format("{}ms", d.count());
}

std::string renderHaproxyConfig(const WriterInput& in) {
  const daemon::ProcessConfig& p = *in.process;
  const proxy::ListenerConfig& l = *in.listener;
  std::string out = "\nglobal\n";
  out += fmt::format("    log         /dev/log local0 {}\n", p.debug ? "debug" : "info");
  out += fmt::format("    log-tag     haproxy-metadata-proxy-{}\n", l.uuid);
  out += fmt::format("    user        {}\n", in.user_name);
  out += fmt::format("    group       {}\n", in.group_name);
  out += fmt::format("    maxconn     {}\n", l.maxconn);
  out += "    nbthread    2\n";
  if (!p.pid_file.empty()) out += fmt::format("    pidfile     {}\n", p.pid_file);
  out += "\ndefaults\n";
  out += "    log global\n";
  out += "    mode http\n";
  out += "    option httplog\n";
  out += "    option dontlognull\n";
  out += "    option http-server-close\n";
  out += "    option forwardfor\n";
  // Neutron's "retries 3" for the engine's 3 attempts (see config_parser.h).
  out += fmt::format("    retries                 {}\n", l.connect_attempts);
  out += fmt::format("    timeout http-request    {}\n", formatDuration(l.timeouts.http_request));
  out += fmt::format("    timeout connect         {}\n", formatDuration(l.timeouts.connect));
  out += fmt::format("    timeout client          {}\n", formatDuration(l.timeouts.client));
  out += fmt::format("    timeout server          {}\n", formatDuration(l.timeouts.server));
  out +=
      fmt::format("    timeout http-keep-alive {}\n", formatDuration(l.timeouts.http_keep_alive));
  out += "\n";
  const proxy::RateLimit& r = l.rate_limit;
  if (r.enabled) {
    bool v6 = !l.binds.empty();
    for (const proxy::BindAddress& b : l.binds) v6 = v6 && b.host.find(':') != std::string::npos;
    const char* type = v6 ? "ipv6" : "ip";
    std::string size = r.table_size % 1024 == 0 ? fmt::format("{}k", r.table_size / 1024)
                                                : fmt::format("{}", r.table_size);
    out += "backend base_rate_limiter\n";
    out += fmt::format("    stick-table type {} size {} expire {} store http_req_rate({})\n\n",
                       type, size, seconds(r.expire), seconds(r.base_window));
    out += "backend burst_rate_limiter\n";
    out += fmt::format("    stick-table type {} size {} expire {} store http_req_rate({})\n\n",
                       type, size, seconds(r.expire), seconds(r.burst_window));
  }
  out += "listen listener\n";
  for (const proxy::BindAddress& b : l.binds) out += bindLine(b);
  if (r.enabled) {
    out += "\n";
    out += "    http-request track-sc0 src table base_rate_limiter\n";
    out += "    http-request track-sc1 src table burst_rate_limiter\n";
    out += fmt::format(
        "    http-request deny deny_status 429 if {{ src_http_req_rate(base_rate_limiter) gt {} "
        "}}\n",
        r.base_limit);
    out += fmt::format(
        "    http-request deny deny_status 429 if {{ src_http_req_rate(burst_rate_limiter) gt {} "
        "}}\n\n",
        r.burst_limit);
  }
  out += fmt::format("    server metadata {}\n", l.upstream_socket);
  out += "    http-request del-header X-Forwarded-For\n";
  out += "    http-request del-header _ -m sub\n";
  // Neutron's template: delete the other Neutron id, set ours. OVN's template
  // deletes nothing (its agent reads only X-OVN-Network-ID).
  switch (l.identity.kind) {
    case proxy::IdentityKind::kNetwork:
      out += "    http-request del-header X-Neutron-Router-ID\n";
      break;
    case proxy::IdentityKind::kRouter:
      out += "    http-request del-header X-Neutron-Network-ID\n";
      break;
    case proxy::IdentityKind::kOvnNetwork:
      break;
  }
  out += fmt::format("    http-request set-header {} {}\n",
                     http::identityInfo(l.identity.kind).header, l.identity.value);
  return out;
}

}  // namespace nsmp::haproxy
