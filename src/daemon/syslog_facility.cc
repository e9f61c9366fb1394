#include "daemon/syslog_facility.h"

#include <syslog.h>

#include <cctype>
#include <string>

namespace nsmp::daemon {

std::optional<int> syslogFacility(std::string_view name) {
  struct Entry {
    std::string_view name;
    int code;
  };
  static constexpr Entry kFacilities[] = {
      {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},
      {"daemon", LOG_DAEMON}, {"ftp", LOG_FTP},           {"kern", LOG_KERN},
      {"lpr", LOG_LPR},       {"mail", LOG_MAIL},         {"news", LOG_NEWS},
      {"syslog", LOG_SYSLOG}, {"user", LOG_USER},         {"uucp", LOG_UUCP},
      {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},     {"local2", LOG_LOCAL2},
      {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},     {"local5", LOG_LOCAL5},
      {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
  };
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view key = lower;
  if (key.starts_with("log_")) key.remove_prefix(4);
  for (const Entry& e : kFacilities) {
    if (e.name == key) return e.code;
  }
  return std::nullopt;
}

}  // namespace nsmp::daemon
