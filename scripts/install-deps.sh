#!/usr/bin/env bash
# Installs every Debian 12 package the project builds, tests, packages and
# benchmarks with. (The Debian package: debhelper, dpkg-dev, lintian; its man
# page: mandoc, man-db; its unit: systemd for systemd-analyze.)
# Idempotent; run as root on a fresh machine.
set -euo pipefail
packages=(
  build-essential binutils cmake ninja-build clang clang-format clang-tidy libclang-rt-14-dev
  node-llhttp libfmt-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev
  python3 python3-pytest iproute2 iptables curl procps
  haproxy cloud-init
  # tests/neutron: Debian's Neutron 21 agents' code, its metadata agent, RabbitMQ
  python3-neutron neutron-metadata-agent neutron-ovn-metadata-agent
  python3-oslo.messaging rabbitmq-server
  debhelper dpkg-dev lintian mandoc man-db systemd
  # tests/integration/test_metrics.py: `promtool check metrics`. Debian ships promtool
  # only inside the server package (96 MB installed, promtool itself 46 MB); its
  # service is kept from starting like the others below.
  prometheus
)
if [ "${NSMP_BENCH_DEPS:-0}" = 1 ]; then
  packages+=(nginx-light wrk python3-matplotlib linux-perf)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Debian starts packaged daemons on install where it can; the tests start their own
# (RabbitMQ as a private node). A policy-rc.d that says 101 keeps invoke-rc.d and
# deb-systemd-invoke from starting any of them, unless the machine already has one.
services=(haproxy nginx rabbitmq-server neutron-metadata-agent neutron-ovn-metadata-agent prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Where one runs anyway (installed earlier, started by hand): stop it and keep it
# from starting at boot. Without systemd, RabbitMQ is looked for by its processes:
# its init script's `status` runs rabbitmqctl, which starts an epmd of its own.
# (prometheus is also disabled: the tests only run its promtool.)
for svc in "${services[@]}"; do
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    if systemctl is-active --quiet "$svc" 2>/dev/null; then
      systemctl stop "$svc" || true
    fi
    if [ "$svc" != haproxy ] && [ "$svc" != nginx ] && systemctl is-enabled --quiet "$svc" 2>/dev/null; then
      systemctl disable "$svc" || true
    fi
  elif [ "$svc" = rabbitmq-server ]; then
    if pgrep -u rabbitmq -x beam.smp >/dev/null 2>&1; then
      service rabbitmq-server stop || true
    fi
    if pgrep -u rabbitmq -x epmd >/dev/null 2>&1; then
      epmd -kill >/dev/null 2>&1 || true
    fi
  elif [ -x "/etc/init.d/$svc" ] && service "$svc" status >/dev/null 2>&1; then
    service "$svc" stop || true
  fi
done
