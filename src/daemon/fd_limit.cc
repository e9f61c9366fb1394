#include "daemon/fd_limit.h"

#include <sys/resource.h>

#include <algorithm>

namespace nsmp::daemon {

uint64_t raiseFdLimit(uint64_t wanted) {
  rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < wanted) {
    rlim_t target = rl.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(wanted, rl.rlim_max);
    if (target > rl.rlim_cur) {
      rlimit raised{target, rl.rlim_max};
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl.rlim_cur = target;
    }
  }
  return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
}

}  // namespace nsmp::daemon
