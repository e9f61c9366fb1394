// Syslog facilities by the names oslo.log accepts for --syslog-log-facility
// ("LOG_USER", "user", "local0", "LOG_LOCAL0", ...; case-insensitive).
#pragma once

#include <optional>
#include <string_view>

namespace nsmp::daemon {

// The facility code (LOG_USER, LOG_LOCAL0, ...), or nullopt if unknown.
std::optional<int> syslogFacility(std::string_view name);

}  // namespace nsmp::daemon
