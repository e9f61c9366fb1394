#include "metrics/process.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace nsmp::metrics {
namespace {

// A small /proc file, whole (they are read in one go: /proc builds them per read).
std::string slurp(const char* path) {
  std::string text;
  if (FILE* f = std::fopen(path, "re")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
  }
  return text;
}

uint64_t countOpenFds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return 0;
  uint64_t n = 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n > 0 ? n - 1 : 0;  // not the directory's own descriptor
}

// /proc/stat's "btime": the boot time, seconds since the epoch.
uint64_t bootTime() {
  std::string stat = slurp("/proc/stat");
  size_t at = stat.find("\nbtime ");
  return at == std::string::npos ? 0 : std::strtoull(stat.c_str() + at + 7, nullptr, 10);
}

}  // namespace

ProcessSample readProcess() {
  ProcessSample p;
  p.open_fds = countOpenFds();
  if (rlimit rl{}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0) p.max_fds = rl.rlim_cur;
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(slurp("/proc/self/statm").c_str(), "%llu %llu", &size, &resident) == 2) {
    p.resident_bytes = resident * page;
  }
  // proc(5): fields after the parenthesised command name (which may hold
  // spaces and parentheses itself, hence the last ')'); utime and stime are
  // fields 14 and 15, starttime 22, in clock ticks (starttime since boot).
  std::string stat = slurp("/proc/self/stat");
  size_t close = stat.rfind(')');
  const auto hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  if (close != std::string::npos && hz > 0) {
    const char* s = stat.c_str() + close + 1;
    unsigned long long field[23] = {};
    for (int i = 3; i <= 22 && *s; ++i) {
      while (*s == ' ') ++s;
      if (i != 3) field[i] = std::strtoull(s, nullptr, 10);  // 3 is the state letter
      while (*s && *s != ' ') ++s;
    }
    p.cpu_seconds = static_cast<double>(field[14] + field[15]) / hz;
    static const uint64_t boot = bootTime();  // constant: /proc/stat is read once
    p.start_time_seconds = static_cast<double>(boot) + static_cast<double>(field[22]) / hz;
  }
  return p;
}

}  // namespace nsmp::metrics
