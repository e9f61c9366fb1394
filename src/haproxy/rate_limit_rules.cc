#include "haproxy/rate_limit_rules.h"

#include <fmt/format.h>

#include <algorithm>

#include "haproxy/values.h"

namespace nsmp::haproxy {
namespace {

// "name(arg)" -> arg; false if `word` is not that shape.
bool functionArgument(const std::string& word, std::string_view name, std::string* arg) {
  if (word.size() < name.size() + 2 || word.compare(0, name.size(), name) != 0 ||
      word[name.size()] != '(' || word.back() != ')') {
    return false;
  }
  *arg = word.substr(name.size() + 1, word.size() - name.size() - 2);
  return true;
}

}  // namespace

Status RateLimitRules::addStickTable(int line, const std::string& table,
                                     const std::vector<std::string>& w) {
  if (tables_.count(table) != 0)
    return invalidArgument(fmt::format("backend '{}' already has a stick-table", table));
  Table t;
  t.line = line;
  bool have_type = false;
  for (size_t i = 1; i < w.size(); ++i) {
    const std::string& key = w[i];
    if (i + 1 == w.size())
      return invalidArgument(fmt::format("stick-table '{}' needs a value", key));
    const std::string& value = w[++i];
    if (key == "type") {
      if (Status s = checkTableType(value); !s) return s;
      have_type = true;
    } else if (Status s = setTableOption(key, value, &t); !s) {
      return s;
    }
  }
  if (!have_type) return invalidArgument("stick-table needs a type (ip or ipv6)");
  if (t.size == 0) return invalidArgument("stick-table needs a size");
  if (t.window.count() == 0)
    return invalidArgument("stick-table needs 'store http_req_rate(<period>)'");
  tables_.emplace(table, t);
  return {};
}

Status RateLimitRules::checkTableType(const std::string& value) {
  // The engine keys on the source address whatever its family; haproxy's
  // "ip" table only holds IPv4 sources (Neutron limits one family).
  if (value != "ip" && value != "ipv6") {
    return invalidArgument(
        fmt::format("stick-table type '{}' is not supported (ip or ipv6)", value));
  }
  return {};
}

Status RateLimitRules::setTableOption(const std::string& key, const std::string& value, Table* t) {
  if (key == "size") {
    auto size = parseSize(value);
    if (!size) return size.status();
    if (*size == 0) return invalidArgument("stick-table size must be greater than zero");
    t->size = *size;
  } else if (key == "expire") {
    auto expire = parseDuration(value);
    if (!expire) return expire.status();
    t->expire = *expire;
  } else if (key == "store") {
    std::string period;
    if (!functionArgument(value, "http_req_rate", &period)) {
      return invalidArgument(fmt::format(
          "stick-table store '{}' is not supported (only http_req_rate(<period>))", value));
    }
    auto window = parseDuration(period);
    if (!window) return window.status();
    t->window = *window;
  } else {
    return invalidArgument(fmt::format("stick-table option '{}' is not supported", key));
  }
  return {};
}

Status RateLimitRules::addTrack(int line, const std::vector<std::string>& w) {
  // track-sc0 src table T
  if (w.size() != 4 || w[1] != "src" || w[2] != "table") {
    return invalidArgument(fmt::format(
        "'{}' must read '{} src table <backend>' (other keys, conditions and the listener's own "
        "table are not supported)",
        w[0], w[0]));
  }
  tracked_.emplace(w[3], line);
  return {};
}

Status RateLimitRules::addDeny(int line, const std::vector<std::string>& w) {
  // deny deny_status 429 if { src_http_req_rate(T) gt N }
  static constexpr const char* kShape =
      "deny must read 'deny deny_status 429 if { src_http_req_rate(<table>) gt <N> }'";
  if (w.size() != 9 || w[1] != "deny_status" || w[3] != "if" || w[4] != "{" || w[8] != "}") {
    return invalidArgument(kShape);
  }
  if (w[2] != "429") {
    return invalidArgument(
        fmt::format("deny_status {} is not supported (the engine answers 429)", w[2]));
  }
  Deny d;
  d.line = line;
  if (!functionArgument(w[5], "src_http_req_rate", &d.table) || d.table.empty())
    return invalidArgument(kShape);
  auto n = parseCount(w[7], UINT32_MAX);
  if (!n) return n.status();
  if (w[6] == "gt") {
    d.limit = static_cast<uint32_t>(*n);
  } else if (w[6] == "ge") {
    if (*n == 0) return invalidArgument("'ge 0' would refuse every request");
    d.limit = static_cast<uint32_t>(*n - 1);
  } else {
    return invalidArgument(fmt::format("comparison '{}' is not supported (gt or ge)", w[6]));
  }
  if (denies_.size() == 2) {
    return invalidArgument(
        "a third rate-limit rule is not supported (a base and a burst window at most)");
  }
  denies_.push_back(std::move(d));
  return {};
}

Result<proxy::RateLimit> RateLimitRules::finish() const {
  proxy::RateLimit limit;
  if (denies_.empty()) {
    if (!tracked_.empty()) {
      auto first = std::min_element(tracked_.begin(), tracked_.end(),
                                    [](auto& a, auto& b) { return a.second < b.second; });
      return invalidArgument(
          fmt::format("line {}: table '{}' is tracked but no 'http-request deny' rule uses it",
                      first->second, first->first));
    }
    return limit;
  }
  const Table* windows[2] = {nullptr, nullptr};
  for (size_t i = 0; i < denies_.size(); ++i) {
    const Deny& d = denies_[i];
    auto t = tables_.find(d.table);
    if (t == tables_.end()) {
      return invalidArgument(fmt::format(
          "line {}: no backend '{}' with a stick-table for this rule", d.line, d.table));
    }
    if (tracked_.count(d.table) == 0) {
      return invalidArgument(
          fmt::format("line {}: table '{}' is not tracked by any 'http-request track-sc' "
                      "rule, so this limit "
                      "would never trigger",
                      d.line, d.table));
    }
    windows[i] = &t->second;
  }
  for (const auto& [name, line] : tracked_) {
    if (tables_.count(name) == 0) {
      return invalidArgument(
          fmt::format("line {}: no backend '{}' with a stick-table to track into", line, name));
    }
  }
  const Deny& base = denies_[0];
  const Deny& burst = denies_.size() > 1 ? denies_[1] : denies_[0];
  const Table& base_table = *windows[0];
  const Table& burst_table = windows[1] ? *windows[1] : *windows[0];
  limit.enabled = true;
  limit.base_window = base_table.window;
  limit.base_limit = base.limit;
  limit.burst_window = burst_table.window;
  limit.burst_limit = burst.limit;
  limit.table_size = static_cast<uint32_t>(std::max(base_table.size, burst_table.size));
  // haproxy forgets an entry `expire` after its last update; without expire
  // an entry would stay until the table is full. The engine needs a bound, so
  // the longest window stands in for a missing one.
  proxy::Millis longest = std::max(limit.base_window, limit.burst_window);
  proxy::Millis expire = std::max(base_table.expire, burst_table.expire);
  limit.expire = expire.count() > 0 ? expire : longest;
  return limit;
}

}  // namespace nsmp::haproxy
