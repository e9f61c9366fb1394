#!/usr/bin/env bash
# Builds the Debian package from this checkout and prints the path of the .deb:
#
#   scripts/build-deb.sh     ->  build-deb/ns-metadata-proxy_<version>_<arch>.deb
#
# dpkg-buildpackage -b -us -uc runs on a copy of the tree as it is now (tracked
# files and new ones git does not ignore) in build-deb/src/, so neither the
# checkout nor its parent directory collect build files; --version reports this
# checkout's `git describe --always --dirty`. The package build compiles the
# binary only (no tests: they run in scripts/test.sh). Its output goes to
# stderr; stdout is the path alone.
#
# Needs the Build-Depends of debian/control (scripts/install-deps.sh installs
# them). Environment: NSMP_DEB_DIR (default build-deb/), DEB_BUILD_OPTIONS
# (parallel=<nproc> is added unless it names a parallel= already).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${NSMP_DEB_DIR:-$root/build-deb}
version=$(sed -n 's/^project(ns-metadata-proxy VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
arch=$(dpkg --print-architecture)
[ -n "$version" ] || { echo "build-deb: no project VERSION in $root/CMakeLists.txt" >&2; exit 1; }

stage=$out/src/ns-metadata-proxy-$version
rm -rf "$out/src"
mkdir -p "$stage"
# Files deleted in the work tree but still tracked are skipped.
git -C "$root" ls-files -z --cached --others --exclude-standard |
  (cd "$root" && while IFS= read -r -d '' f; do
     if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
   done) |
  tar -C "$root" --null -T - -cf - | tar -C "$stage" -xf -

commit=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)
options=${DEB_BUILD_OPTIONS:-}
case " $options " in *" parallel="*) ;; *) options="${options:+$options }parallel=$(nproc)" ;; esac
(cd "$stage" && NSMP_COMMIT=$commit DEB_BUILD_OPTIONS=$options dpkg-buildpackage -b -us -uc) >&2

deb=ns-metadata-proxy_${version}_${arch}.deb
for f in "$out/src"/*.deb "$out/src"/*.buildinfo "$out/src"/*.changes; do
  mv -f "$f" "$out/"
done
rm -rf "$out/src"
echo "$out/$deb"
