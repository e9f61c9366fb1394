"""What the report states about the machine and the programs it compared."""

import os
import platform
import subprocess


def _first_line(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def collect(repo):
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = _first_line(["git", "-C", repo, "log", "-1", "--format=%h %s"])
    try:
        dirty = subprocess.run(["git", "-C", repo, "diff", "--name-only", "HEAD", "--", "src"],
                               capture_output=True, text=True, timeout=10).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        dirty = []
    if dirty:
        commit += f" (plus uncommitted changes in {', '.join(dirty)})"
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "haproxy": _first_line(["haproxy", "-v"]),
        "nginx": _first_line(["nginx", "-v"]),
        "wrk": _first_line(["wrk", "-v"]),
        "commit": commit,
        "dev_log": "present" if os.path.exists("/dev/log") else "absent (no syslog listens)",
        "load_before": loadavg(),
    }
