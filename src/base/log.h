// Process-wide logging. One sink at a time: stderr (default), a file (reopened
// by reopen(), e.g. on SIGHUP) or syslog. Lines are buffered and written at
// most once per event-loop turn (flush()), so an access log line per request
// does not cost a write(2) per request. Warnings and errors flush at once.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "base/result.h"

namespace nsmp::log {

enum class Level : uint8_t { kDebug, kInfo, kWarning, kError };

void useStderr();
// Fails (and keeps the current sink) if the file cannot be opened: "cannot
// open log file <path>: <reason>".
Status useFile(const std::string& path);
// openlog(tag, LOG_PID | LOG_NDELAY, facility): every line goes to syslog(3)
// with this facility (LOG_LOCAL0, ...) and the level's severity.
void useSyslog(const std::string& tag, int facility);
void setDebug(bool on);
bool debugEnabled();
void reopen();  // files only: reopen after rotation
void flush();   // write what is buffered

void write(Level level, std::string_view line);

// Formats into a stack buffer (no allocation for lines up to 500 bytes).
template <typename... Args>
void emit(Level level, fmt::format_string<Args...> f, Args&&... args) {
  fmt::memory_buffer line;
  fmt::format_to(std::back_inserter(line), f, std::forward<Args>(args)...);
  write(level, std::string_view(line.data(), line.size()));
}

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (debugEnabled()) emit(Level::kDebug, f, std::forward<Args>(args)...);
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  emit(Level::kInfo, f, std::forward<Args>(args)...);
}
template <typename... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
  emit(Level::kWarning, f, std::forward<Args>(args)...);
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  emit(Level::kError, f, std::forward<Args>(args)...);
}

}  // namespace nsmp::log
