#!/usr/bin/env bash
# The whole chain on one machine, in one command:
#   installs the Debian packages (scripts/install-deps.sh), builds build/ with CMake +
#   Ninja, starts the built-in metadata server with examples/demo-metadata.json and the
#   proxy in front of it on 127.0.0.1, shows how to ask it, and runs until Ctrl-C.
#
#   scripts/demo.sh            run until Ctrl-C
#   scripts/demo.sh --check    start, ask once, verify the answer, stop (exit 0 = works)
#
# Environment: NSMP_DEMO_PORT (default 9697), NSMP_BUILD_DIR (default build/),
# NSMP_SKIP_DEPS=1 skips the package step (no root needed then), NSMP_BINARY=PATH
# uses that binary and skips the build (the test suite runs the demo this way),
# NSMP_DEMO_DATA=FILE serves that data file (scripts/test-deb.sh gives the
# installed package's example).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=${NSMP_DEMO_PORT:-9697}
build=${NSMP_BUILD_DIR:-$root/build}
data=${NSMP_DEMO_DATA:-$root/examples/demo-metadata.json}
binary=${NSMP_BINARY:-$build/src/app/ns-metadata-proxy}
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# --- 1. packages -----------------------------------------------------------------
if [ "${NSMP_SKIP_DEPS:-0}" != 1 ]; then
  say "Installing Debian packages (scripts/install-deps.sh)"
  if [ "$(id -u)" = 0 ]; then
    "$root/scripts/install-deps.sh"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$root/scripts/install-deps.sh"
  else
    echo "Not root and no sudo: run scripts/install-deps.sh as root first, then" >&2
    echo "NSMP_SKIP_DEPS=1 $0" >&2
    exit 1
  fi
fi

# --- 2. build --------------------------------------------------------------------
if [ -z "${NSMP_BINARY:-}" ]; then
  say "Building ns-metadata-proxy in $build"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C "$build" ns-metadata-proxy
fi

# --- 3. run ----------------------------------------------------------------------
# The demo instance: its uuid, and the network its 127.0.0.1 port is on.
read -r expected_uuid network_id < <(python3 -c 'import json, sys
i = json.load(open(sys.argv[1]))["instances"][0]
print(i["uuid"], i["ports"][0]["network_id"])' "$data")
rundir=$(mktemp -d /tmp/nsmp-demo.XXXXXX)
socket=$rundir/metadata_proxy
server_pid=
proxy_pid=

# shellcheck disable=SC2317  # called through the traps
stop() {
  trap - INT TERM EXIT
  local pid
  for pid in $proxy_pid $server_pid; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $proxy_pid $server_pid; do
    # Up to 5 s for a clean exit, then SIGKILL: never hang on the way out.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$rundir"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

fail() {
  echo "demo: $*" >&2
  exit 1
}

url=http://127.0.0.1:$port
if curl -s -o /dev/null --max-time 2 "$url/"; then
  fail "something already answers on $url; pick another port: NSMP_DEMO_PORT=9698 $0"
fi

say "Starting the metadata server (the Neutron agent + Nova role) on $socket"
# Both daemons log to this terminal (stderr), access lines included.
"$binary" metadata-server --socket "$socket" --data "$data" &
server_pid=$!
for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || fail "the metadata server did not create $socket within 10 s"

say "Starting the proxy on 127.0.0.1:$port (network $network_id)"
"$binary" --network_id "$network_id" --nodaemonize --bind_host 127.0.0.1 \
  --metadata_port "$port" --metadata_proxy_socket "$socket" \
  --state_path "$rundir" --pid_file "$rundir/proxy.pid" &
proxy_pid=$!
ready=0
for _ in $(seq 100); do
  kill -0 "$proxy_pid" 2>/dev/null || fail "the proxy exited (is port $port taken? set NSMP_DEMO_PORT)"
  # Any HTTP answer means it listens (curl exits 0 on 404 without -f).
  if curl -s -o /dev/null --max-time 2 "$url/"; then ready=1; break; fi
  sleep 0.1
done
[ "$ready" = 1 ] || fail "the proxy did not answer on $url within 10 s"
say "Asking it once: curl $url/openstack/latest/meta_data.json"
answer=$(curl -sS --max-time 10 "$url/openstack/latest/meta_data.json") || fail "the request failed"
echo "$answer"
grep -Eq "\"uuid\": *\"$expected_uuid\"" <<<"$answer" \
  || fail "expected the demo instance $expected_uuid in the answer"

if [ "$check" = 1 ]; then
  say "OK: the metadata server answered through the proxy"
  exit 0
fi

cat <<EOF

The proxy on 127.0.0.1:$port adds X-Neutron-Network-ID: $network_id and
X-Forwarded-For: 127.0.0.1 to every request, the way it does for a VM in a qdhcp
namespace; the metadata server finds the instance with that address on that network
(examples/demo-metadata.json). Try, from another terminal:

  curl $url/openstack                                  # OpenStack versions
  curl $url/openstack/latest/meta_data.json            # uuid, hostname, keys
  curl $url/openstack/latest/user_data                 # cloud-config
  curl $url/openstack/latest/network_data.json
  curl $url/latest/meta-data/                          # the EC2 tree
  curl $url/latest/meta-data/public-keys/0/openssh-key
  curl -H 'X-Forwarded-For: 10.0.0.99' $url/openstack/latest/meta_data.json
                                                       # spoofing: still the same instance

Access log lines appear below. Edit examples/demo-metadata.json and the server picks
the change up without a restart. Press Ctrl-C to stop both.
EOF

# Returns when either daemon exits (or on Ctrl-C, through the trap).
set +e
wait -n "$server_pid" "$proxy_pid"
status=$?
set -e
fail "a daemon exited on its own (status $status)"
