#!/usr/bin/env bash
# The Debian package end to end (scripts/test.sh runs this step; needs root):
#   1. build it (scripts/build-deb.sh) and run lintian: no error, and every
#      warning is one the README's "Debian package" section explains;
#   2. install it with dpkg -i; check the installed paths, the unit
#      (systemd-analyze verify), the man page, the haproxy drop-in; run the main
#      job from the installed paths: the installed binary's metadata server with
#      the installed example data, the proxy in front of it, one request
#      (scripts/demo.sh --check);
#   3. purge it (dpkg --purge) and check that every path the installation
#      created is gone and no user, group or systemd state is left.
#
#   scripts/test-deb.sh            build, then test
#   scripts/test-deb.sh FILE.deb   test that package
#
# Refuses to run when ns-metadata-proxy is installed already: the purge at the
# end would remove an installation that is not the test's.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkg=ns-metadata-proxy

say() { printf '\n== %s\n' "$*"; }
fail() {
  echo "test-deb: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i, dpkg --purge)"
# "install ok installed" only: a purged package's "unknown ok not-installed" is none.
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q ' installed$'; then
  fail "$pkg is installed already; remove it first (dpkg --purge $pkg) or run elsewhere"
fi

# Other package managers may hold dpkg's lock for a while (apt-get on a shared
# machine): retry for up to 5 minutes, only on that error.
dpkg_retry() {
  local out
  for _ in $(seq 150); do
    if out=$("$@" 2>&1); then
      printf '%s\n' "$out"
      return 0
    fi
    if ! grep -q 'lock' <<<"$out"; then
      printf '%s\n' "$out" >&2
      return 1
    fi
    sleep 2
  done
  printf '%s\n' "$out" >&2
  return 1
}

if [ $# -ge 1 ]; then
  deb=$1
else
  say "build the package (scripts/build-deb.sh)"
  start=$(date +%s)
  deb=$("$root/scripts/build-deb.sh")
  echo "built $deb in $(($(date +%s) - start)) s"
fi
[ -f "$deb" ] || fail "no package at $deb"

say "lintian $deb"
lintian_out=$(lintian --tag-display-limit 0 "$deb" 2>&1) || true
printf '%s\n' "${lintian_out:-(nothing)}"
if grep -q '^E: ' <<<"$lintian_out"; then
  fail "lintian reports errors (above)"
fi
# Every warning must be explained in the README (by its tag name, in backquotes).
while read -r tag; do
  [ -z "$tag" ] && continue
  grep -q "\`$tag\`" "$root/README.md" ||
    fail "lintian warns $tag and the README's Debian package section does not explain it"
done < <(sed -n 's/^W: [^ ]*: \([^ ]*\).*/\1/p' <<<"$lintian_out" | sort -u)

say "contents"
contents=$(dpkg-deb -c "$deb")
printf '%s\n' "$contents"
mapfile -t paths < <(awk '{ p = $6; sub(/^\./, "", p); sub(/\/$/, "", p); if (p != "") print p }' <<<"$contents")
# What exists before the installation is not the package's to remove.
existed=$(mktemp)
leftover=$(mktemp)
for p in "${paths[@]}"; do
  if [ -e "$p" ] || [ -L "$p" ]; then echo "$p"; fi
done >"$existed"
accounts_before=$(cat /etc/passwd /etc/group | sha256sum)

installed=0
# shellcheck disable=SC2317  # called through the trap
cleanup() {
  if [ "$installed" = 1 ]; then dpkg_retry dpkg --purge "$pkg" >/dev/null || true; fi
  rm -f "$existed" "$leftover"
}
trap cleanup EXIT

say "dpkg -i"
installed=1
dpkg_retry dpkg -i "$deb"

say "installed files"
bin=/usr/sbin/ns-metadata-proxy
dropin=/usr/libexec/ns-metadata-proxy/haproxy
unit=/lib/systemd/system/ns-metadata-proxy-node.service
docs=/usr/share/doc/ns-metadata-proxy
for f in "$bin" "$dropin" "$unit" /usr/share/man/man8/ns-metadata-proxy.8.gz \
  "$docs/examples/demo-metadata.json" "$docs/copyright"; do
  [ -e "$f" ] || fail "the package did not install $f"
done
[ "$(ls /usr/libexec/ns-metadata-proxy)" = haproxy ] ||
  fail "/usr/libexec/ns-metadata-proxy must hold the drop-in alone (it goes first on PATH)"
[ "$(readlink -f "$dropin")" = "$bin" ] || fail "$dropin does not lead to $bin"
"$bin" --version
"$dropin" -v | grep -q 'haproxy-compatible mode' ||
  fail "$dropin -v: the binary did not take haproxy's command line from its name"
man -w ns-metadata-proxy | grep -qx /usr/share/man/man8/ns-metadata-proxy.8.gz ||
  fail "man does not find ns-metadata-proxy(8)"
verify=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify $unit: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify $unit: $verify"
echo "systemd-analyze verify: clean"

say "the main job from the installed paths (scripts/demo.sh --check)"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
NSMP_BINARY=$bin NSMP_SKIP_DEPS=1 NSMP_DEMO_PORT=$port \
  NSMP_DEMO_DATA=$docs/examples/demo-metadata.json "$root/scripts/demo.sh" --check

say "dpkg --purge"
mapfile -t listed < <(dpkg -L "$pkg")
dpkg_retry dpkg --purge "$pkg"
installed=0
for p in "${listed[@]}"; do
  [ "$p" = "/." ] && continue
  if { [ -e "$p" ] || [ -L "$p" ]; } && ! grep -qxF "$p" "$existed"; then echo "$p"; fi
done >"$leftover"
[ ! -s "$leftover" ] || fail "left behind after the purge: $(tr '\n' ' ' <"$leftover")"
[ "$(cat /etc/passwd /etc/group | sha256sum)" = "$accounts_before" ] ||
  fail "users or groups changed between install and purge"
shopt -s nullglob
state=(/var/lib/dpkg/info/"$pkg".* /etc/systemd/system/*ns-metadata-proxy*
  /etc/systemd/system/*/*ns-metadata-proxy* /var/lib/systemd/deb-systemd-helper-*/*ns-metadata-proxy*
  /var/lib/systemd/deb-systemd-helper-*/*/*ns-metadata-proxy*)
[ ${#state[@]} = 0 ] || fail "left behind after the purge: ${state[*]}"
echo "nothing left: ${#listed[@]} paths listed by dpkg -L, all gone or there before"
say "package OK: $deb"
