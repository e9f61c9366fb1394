#!/usr/bin/env python3
"""clang-tidy (.clang-tidy at the top) over every translation unit of src/.

Usage: clang_tidy.py [BUILD_DIR [PREFIX]]   (default: build, src/; needs
                                            BUILD_DIR/compile_commands.json)

A unit is checked again only when what the compiler sees changed: the key is
a hash of its preprocessed text (every header it includes, expanded), its
compile command and .clang-tidy. A clean unit leaves a stamp under
BUILD_DIR/clang-tidy/, so a rerun after a small change checks only the units
that change reaches (preprocessing costs ~0.1 s a unit, checking several
seconds). Exits 1 when any unit has a finding; prints each.
"""

import concurrent.futures
import hashlib
import json
import os
import pathlib
import shlex
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def key(entry, config):
    args = shlex.split(entry["command"]) if "command" in entry else entry["arguments"]
    # The same command, preprocessing only, to stdout.
    out = [a for a in args]
    i = out.index("-o")
    del out[i:i + 2]
    for flag in ("-MD", "-MMD"):
        while flag in out:
            out.remove(flag)
    for flag in ("-MT", "-MF"):
        while flag in out:
            i = out.index(flag)
            del out[i:i + 2]
    # -C: comments too, so removing a NOLINT checks the unit again.
    pre = subprocess.run(out + ["-E", "-P", "-C"], cwd=entry["directory"], capture_output=True, check=True)
    digest = hashlib.sha256()
    for part in (config, " ".join(args).encode(), pre.stdout):
        digest.update(part)
    return digest.hexdigest()


def check(entry, build, stamps, config):
    name = entry["file"]
    stamp = stamps / key(entry, config)
    if stamp.exists():
        return name, None
    run = subprocess.run(["clang-tidy", "-p", str(build), "--quiet", name],
                         capture_output=True, text=True)
    if run.returncode == 0:
        stamp.touch()
        return name, None
    return name, run.stdout + run.stderr


def main():
    build = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build").resolve()
    units = json.loads((build / "compile_commands.json").read_text())
    src = str(ROOT / (sys.argv[2] if len(sys.argv) > 2 else "src"))
    units = [u for u in units if u["file"].startswith(src)]
    config = (ROOT / ".clang-tidy").read_bytes()
    stamps = build / "clang-tidy"
    stamps.mkdir(exist_ok=True)
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        for name, findings in pool.map(lambda u: check(u, build, stamps, config), units):
            if findings:
                failed += 1
                print(findings)
    print(f"clang_tidy.py: {len(units)} units of {src}, {failed} with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
