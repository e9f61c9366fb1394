#!/usr/bin/env bash
# Benchmarks ns-metadata-proxy against haproxy (Neutron's config) and nginx; see bench/README.md.
#   bench/run.sh [--quick] [--bin PATH] [--help]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Debian's python3 (python3-matplotlib is installed for it, not for other interpreters on PATH).
exec /usr/bin/python3 "$here/nsmp_bench/main.py" "$@"
