#!/usr/bin/env python3
"""Checks that the built ns-metadata-proxy keeps every hardening property
(cmake/Hardening.cmake, issue #10). Reads the ELF with binutils' readelf and
objdump; exits 1 naming each property that is missing.

    check_binary.py BINARY

Whole-binary properties come from the headers: static-pie (type DYN, no
PT_INTERP), full RELRO (PT_GNU_RELRO, BIND_NOW), a non-executable stack. The
compiler flags leave traces in our own functions (symbols in namespace nsmp),
which the disassembly shows: libc.a and libstdc++.a bring their own stack
protector and fortified calls, so only our code proves our flags.
"""
import re
import subprocess
import sys
from collections import Counter


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def our_functions(binary):
    """{function symbol: its disassembly lines} for the functions of namespace nsmp."""
    out, name = {}, None
    dump = subprocess.Popen(["objdump", "-d", "--no-show-raw-insn", "-w", binary],
                            stdout=subprocess.PIPE, text=True)
    header = re.compile(r"^[0-9a-f]+ <(.+)>:$")
    for line in dump.stdout:
        m = header.match(line)
        if m:
            name = m.group(1) if m.group(1).startswith("_ZN4nsmp") else None
            if name:
                out[name] = []
        elif name and line.strip():
            out[name].append(line)
    if dump.wait() != 0:
        raise SystemExit(f"objdump -d {binary} failed")
    return out


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    binary = sys.argv[1]
    failures = []

    def expect(ok, what):
        print(("ok      " if ok else "MISSING ") + what)
        if not ok:
            failures.append(what)

    header = run("readelf", "-hW", binary)
    segments = run("readelf", "-lW", binary)
    dynamic = run("readelf", "-dW", binary)
    expect(re.search(r"Type:\s+DYN", header) is not None,
           "position independent (ELF type DYN): -static-pie, so ASLR moves the binary")
    expect("INTERP" not in segments,
           "no program interpreter (PT_INTERP): statically linked")
    expect("GNU_RELRO" in segments, "PT_GNU_RELRO: -z relro")
    flags = re.search(r"\(FLAGS\)\s+(.*)", dynamic)
    flags_1 = re.search(r"\(FLAGS_1\)\s+(.*)", dynamic)
    expect(bool(flags and "BIND_NOW" in flags.group(1)) and
           bool(flags_1 and re.search(r"\bNOW\b", flags_1.group(1))),
           "BIND_NOW in FLAGS and NOW in FLAGS_1: -z now (full RELRO)")
    expect("TEXTREL" not in dynamic, "no text relocations")
    stack = re.search(r"GNU_STACK(?:\s+\S+){5}\s+([RWE ]+?)\s+0x", segments)
    expect(bool(stack) and "E" not in stack.group(1) and "W" in stack.group(1),
           "PT_GNU_STACK without execute permission: -z noexecstack")

    ours = our_functions(binary)
    expect(len(ours) > 100, f"our functions are in the binary ({len(ours)} found, symbols kept)")
    calls = Counter()
    for lines in ours.values():
        called = set()
        for line in lines:
            m = re.search(r"\bcall\s+[0-9a-f]+ <([^>+]+)", line)
            if m:
                called.add(m.group(1))
        calls.update(called)
    expect(calls["__stack_chk_fail"] > 0,
           f"our functions call __stack_chk_fail ({calls['__stack_chk_fail']}): "
           "-fstack-protector-strong")
    fortified = {f: n for f, n in calls.items() if re.fullmatch(r"__\w+_chk", f) and
                 f != "__stack_chk_fail"}
    expect(bool(fortified), "our functions call fortified functions "
           f"({', '.join(f'{f} {n}' for f, n in sorted(fortified.items())) or 'none'}): "
           "-D_FORTIFY_SOURCE")
    probes = sum(1 for lines in ours.values()
                 if any(re.search(r"\bor[q]?\s+\$0x0,\(%rsp\)", l) for l in lines))
    expect(probes > 0, f"our large frames probe each page ({probes} functions): "
           "-fstack-clash-protection")
    # __glibcxx_assert(cond) prints the condition's text when it fails: the
    # texts of libstdc++'s checks are in the binary only if code compiled with
    # _GLIBCXX_ASSERTIONS is (Debian's libstdc++.a itself is built without).
    with open(binary, "rb") as f:
        data = f.read()
    texts = [t for t in (b"__n < this->size()", b"!this->empty()") if t in data]
    expect(bool(texts), "libstdc++ assertion texts "
           f"({', '.join(t.decode() for t in texts) or 'none'}): -D_GLIBCXX_ASSERTIONS")
    if failures:
        print(f"{binary}: {len(failures)} hardening properties missing", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
