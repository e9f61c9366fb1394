"""Runs the Google Benchmark program for the head rewrite, if it was built, for the report."""

import json
import os
import subprocess

from . import procs


def find(repo, ours_bin):
    candidates = []
    if ours_bin:  # <build>/src/app/ns-metadata-proxy -> <build>/bench/head_rewrite_bench
        build = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(ours_bin))))
        candidates.append(os.path.join(build, "bench", "head_rewrite_bench"))
    candidates += [os.path.join(repo, d, "bench", "head_rewrite_bench")
                   for d in ("build-bench", "build")]
    return next((c for c in candidates if os.access(c, os.X_OK)), None)


def run(path, cpu, min_time):
    """{benchmark name: CPU ns per iteration}."""
    proc = procs.spawn([path, "--benchmark_format=json", f"--benchmark_min_time={min_time}"],
                       cpu, stdout=subprocess.PIPE)
    try:
        out, _ = proc.communicate(timeout=120)
    finally:
        procs.REGISTRY.procs.pop(proc.pid, None)
    if proc.returncode != 0:
        return {}
    doc = json.loads(out)
    res = {}
    for b in doc.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        scale = {"ns": 1, "us": 1e3, "ms": 1e6}.get(b.get("time_unit", "ns"), 1)
        res[b["name"]] = b["cpu_time"] * scale
    return res
