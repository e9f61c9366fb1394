#!/usr/bin/env bash
# The README's test command. On a fresh Debian 12 machine (as root) it installs
# what the tests need, builds, and runs every suite twice:
#   1. build/       RelWithDebInfo: unit tests, the fuzz corpus, the integration
#                   suite (real binary, scripted agent, real haproxy) and the
#                   end-to-end suite (network namespaces, iptables, cloud-init) and
#                   the Neutron suite (Debian's Neutron 21 agents run the binary as
#                   haproxy, its real metadata agent behind it);
#   2. the Debian package (scripts/test-deb.sh): built with dpkg-buildpackage,
#                   checked by lintian, installed with dpkg -i, the main job run
#                   from the installed paths, purged leaving nothing behind;
#   3. build-asan/  the same code under ASan+UBSan: unit, fuzz corpus, integration;
# and checks formatting (clang-format) and src/ with clang-tidy (.clang-tidy).
# Exits non-zero on the first failure.
#
#   scripts/test.sh            everything (CI runs this)
#   scripts/test.sh --quick    the RelWithDebInfo pass only (no package, no sanitizers)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
quick=0
case "${1:-}" in
  "") ;;
  --quick) quick=1 ;;
  *)
    echo "usage: scripts/test.sh [--quick]" >&2
    exit 2
    ;;
esac
jobs=$(nproc)

step() { printf '\n==== %s\n' "$*"; }

step "packages"
scripts/install-deps.sh

step "format check (clang-format)"
git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror

step "build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"

step "clang-tidy over src/ (scripts/clang_tidy.py)"
scripts/clang_tidy.py build

step "tests (RelWithDebInfo)"
ctest --test-dir build --output-on-failure -j"$jobs"

if [ "$quick" = 0 ]; then
  # After the suites: the package build compiles the binary once more (with
  # Debian's flags, no tests), a few CPU minutes.
  step "Debian package: build, lintian, install, run, purge"
  scripts/test-deb.sh

  step "build (ASan+UBSan)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNSMP_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  step "tests (ASan+UBSan; end-to-end and Neutron suites excluded, they run above)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE 'e2e|neutron'
fi
step "all tests passed"
