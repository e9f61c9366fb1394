#!/usr/bin/env bash
# Line and branch coverage of src/ by the unit tests and the integration suite
# (not part of scripts/test.sh; needs Debian's gcovr: apt-get install gcovr).
# Builds with --coverage in build-cov/ (Debug, -O0: each line is a line),
# runs the unit tests and tests/integration/ against that binary, and prints
# gcovr's summary and per-file table for src/. Root, like the test command.
#
#   scripts/coverage.sh            build, run, report
#   scripts/coverage.sh --html     also build-cov/coverage/index.html
#
# Branch figures leave out the branches gcc adds for exceptions and the ones
# it proves unreachable: what is left are the branches written in the code.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=build-cov
jobs=$(nproc)
command -v gcovr >/dev/null || { echo "coverage.sh: gcovr missing; apt-get install gcovr" >&2; exit 1; }

# Static linking keeps the binary the one the tests know; hardening is off
# only because its flags are not what is measured here.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNSMP_HARDEN=OFF \
  -DCMAKE_C_FLAGS=--coverage -DCMAKE_CXX_FLAGS=--coverage \
  -DCMAKE_EXE_LINKER_FLAGS=--coverage >/dev/null
cmake --build "$build" -j"$jobs"

# Counts from an earlier run would add up with this one.
find "$build" -name '*.gcda' -delete
# The binary drops privileges (nobody, or --user) before it exits and writes
# its counts: every object directory and count file must be writable by it.
# (Not by umask 0 for the whole run: tests/integration checks the modes of
# files it writes.) A count file a root process of the integration suite
# creates first stays root's: a later unprivileged process loses its counts.
find "$build" -name '*.gcno' -printf '%h\n' | sort -u | xargs chmod a+rwx
(umask 0000 && ctest --test-dir "$build" -j"$jobs" -L unit --output-on-failure)
find "$build" -name '*.gcda' -exec chmod a+rw {} +
NSMP_BINARY=$root/$build/src/app/ns-metadata-proxy \
  pytest-3 -q -p no:cacheprovider tests/integration

# Headers are compiled through build-cov/layers/<layer>/<layer> -> src/<layer>
# (cmake/Warnings.cmake); gcovr resolves the links, so one filter on src/.
args=(--root "$root" --object-directory "$build" --filter "$root/src/"
      --exclude-throw-branches --exclude-unreachable-branches)
gcovr "${args[@]}" --sort-percentage
gcovr "${args[@]}" --print-summary -o /dev/null
if [ "${1:-}" = "--html" ]; then
  mkdir -p "$build/coverage"
  gcovr "${args[@]}" --html-details -o "$build/coverage/index.html"
  echo "coverage.sh: $build/coverage/index.html"
fi
