// Neutron's rate-limited template (2023.2+), read back into proxy::RateLimit:
//
//   backend base_rate_limiter
//       stick-table type ip size 10k expire 10s store http_req_rate(10s)
//   listen listener
//       http-request track-sc0 src table base_rate_limiter
//       http-request deny deny_status 429 if { src_http_req_rate(base_rate_limiter) gt 10 }
//
// The first deny rule is the base window, the second the burst window (one
// rule alone limits both windows the same way). Each window and limit comes
// from the table the rule names, so the mapping is by table name, not by
// order of the backends. Only this shape is accepted; anything the engine
// would not enforce exactly as written is refused with its line.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "proxy/config.h"

namespace nsmp::haproxy {

class RateLimitRules {
 public:
  // Each takes the words of one directive (starting at the directive name)
  // and says what is wrong without the line number.
  Status addStickTable(int line, const std::string& table, const std::vector<std::string>& w);
  Status addTrack(int line, const std::vector<std::string>& w);  // "track-sc0 src table T"
  Status addDeny(int line, const std::vector<std::string>& w);   // "deny deny_status 429 ..."

  // Cross-checks the rules (errors are "line N: ...") and builds the limit;
  // disabled when there is no deny rule.
  Result<proxy::RateLimit> finish() const;

 private:
  struct Table {
    int line = 0;
    proxy::Millis window{0};
    proxy::Millis expire{0};  // 0: not given
    uint64_t size = 0;
  };
  struct Deny {
    int line = 0;
    std::string table;
    uint32_t limit = 0;
  };
  // One key of a "stick-table" line and its value: "type" is only checked,
  // "size", "expire" and "store" are set on *t; any other key is refused.
  static Status checkTableType(const std::string& value);
  static Status setTableOption(const std::string& key, const std::string& value, Table* t);

  std::map<std::string, Table> tables_;
  std::map<std::string, int> tracked_;  // table -> line of its first track rule
  std::vector<Deny> denies_;
};

}  // namespace nsmp::haproxy
