#include "base/log.h"

#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace nsmp::log {
namespace {

enum class Sink : uint8_t { kStderr, kFile, kSyslog };

struct State {
  Sink sink = Sink::kStderr;
  int fd = STDERR_FILENO;
  std::string path;
  std::string tag;  // syslog ident must outlive openlog()
  bool debug = false;
  std::string buffer;
  time_t stamp_sec = -1;  // the second `stamp` shows: formatted once per second
  char stamp[32] = {};
  size_t stamp_len = 0;
};

State& state() {
  static State s;
  return s;
}

constexpr size_t kFlushThreshold = size_t{64} * 1024;

const char* levelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarning:
      return "WARNING";
    case Level::kError:
      return "ERROR";
  }
  return "?";
}

int syslogPriority(Level level) {
  switch (level) {
    case Level::kDebug:
      return LOG_DEBUG;
    case Level::kInfo:
      return LOG_INFO;
    case Level::kWarning:
      return LOG_WARNING;
    case Level::kError:
      return LOG_ERR;
  }
  return LOG_INFO;
}

void writeAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a logging failure
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void closeFile(State& s) {
  if (s.sink == Sink::kFile && s.fd >= 0) ::close(s.fd);
  s.fd = STDERR_FILENO;
}

}  // namespace

void useStderr() {
  flush();
  State& s = state();
  closeFile(s);
  s.sink = Sink::kStderr;
}

Status useFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return Status::fromErrno("cannot open log file " + path);
  flush();
  State& s = state();
  closeFile(s);
  s.sink = Sink::kFile;
  s.fd = fd;
  s.path = path;
  return {};
}

void useSyslog(const std::string& tag, int facility) {
  flush();
  State& s = state();
  closeFile(s);
  s.sink = Sink::kSyslog;
  s.tag = tag;
  ::openlog(s.tag.c_str(), LOG_PID | LOG_NDELAY, facility);
}

void setDebug(bool on) { state().debug = on; }
bool debugEnabled() { return state().debug; }

void reopen() {
  State& s = state();
  if (s.sink != Sink::kFile) return;
  flush();
  int fd = ::open(s.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return;  // keep writing to the old file rather than lose lines
  ::close(s.fd);
  s.fd = fd;
}

void flush() {
  State& s = state();
  if (s.buffer.empty()) return;
  writeAll(s.fd, s.buffer.data(), s.buffer.size());
  s.buffer.clear();
}

void write(Level level, std::string_view line) {
  State& s = state();
  if (s.sink == Sink::kSyslog) {
    ::syslog(syslogPriority(level), "%.*s", static_cast<int>(line.size()), line.data());
    return;
  }
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  if (ts.tv_sec != s.stamp_sec) {
    tm parts{};
    ::gmtime_r(&ts.tv_sec, &parts);
    s.stamp_len = std::strftime(s.stamp, sizeof s.stamp, "%Y-%m-%dT%H:%M:%S", &parts);
    s.stamp_sec = ts.tv_sec;
  }
  auto ms = static_cast<int>(ts.tv_nsec / 1'000'000);
  const char millis[5] = {'.', static_cast<char>('0' + ms / 100),
                          static_cast<char>('0' + ms / 10 % 10), static_cast<char>('0' + ms % 10),
                          'Z'};
  s.buffer.append(s.stamp, s.stamp_len).append(millis, sizeof millis).append(" ");
  s.buffer.append(levelName(level)).append(" ").append(line).append("\n");
  if (level >= Level::kWarning || s.buffer.size() >= kFlushThreshold) flush();
}

}  // namespace nsmp::log
