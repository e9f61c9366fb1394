#!/usr/bin/env bash
# Installs every Debian 12 package the project builds, tests, packages and
# benchmarks with. (The Debian package: debhelper, dpkg-dev, lintian; its man
# page: mandoc, man-db; its unit: systemd for systemd-analyze.)
# Idempotent; run as root on a fresh machine.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  node-llhttp libfmt-dev nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pytest iproute2 iptables curl procps psmisc
  haproxy cloud-init
  debhelper dpkg-dev lintian mandoc man-db systemd
)
if [ "${NSMP_BENCH_DEPS:-0}" = 1 ]; then
  packages+=(nginx-light wrk python3-matplotlib linux-perf)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian starts packaged daemons on install where it can; the tests start their own.
for svc in haproxy nginx; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
