// What the fuzz targets do when a property they check does not hold: say which
// one, describe the state if the target registered a way to, and abort, so
// libFuzzer keeps the input (and the corpus replay fails).
#pragma once

#include <cstdio>
#include <cstdlib>

namespace nsmp::fuzz {

// Set by a target to print what it saw (streams, state) before aborting.
inline void (*g_describe)() = nullptr;

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    if (g_describe) g_describe();
    std::abort();
  }
}

}  // namespace nsmp::fuzz
