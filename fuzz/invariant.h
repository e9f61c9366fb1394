// What the fuzz targets do when a property they check does not hold: say which
// one and abort, so libFuzzer keeps the input (and the corpus replay fails).
#pragma once

#include <cstdio>
#include <cstdlib>

namespace nsmp::fuzz {

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace nsmp::fuzz
