"""Load runs with wrk, and the per-request counters taken around them (CPU, syscalls, profile)."""

import os
import re
import signal
import subprocess
import time

from . import configs, procs

UNITS_US = {"us": 1.0, "ms": 1000.0, "s": 1e6, "m": 60e6}


def parse_duration_us(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(m.group(1)) * UNITS_US[m.group(2)]


def parse_wrk(out):
    """Requests/s, p50/p99 (µs), request count and errors from `wrk --latency` output."""
    res = {}
    m = re.search(r"^\s*(\d+) requests in ([\d.]+)(\w+),", out, re.M)
    if not m:
        raise ValueError("no request count in wrk output:\n" + out)
    res["requests"] = int(m.group(1))
    res["rps"] = float(re.search(r"^Requests/sec:\s*([\d.]+)", out, re.M).group(1))
    for pct in ("50", "99"):
        pm = re.search(rf"^\s*{pct}%\s+(\S+)", out, re.M)
        res[f"p{pct}_us"] = parse_duration_us(pm.group(1)) if pm else float("nan")
    errors = 0
    nm = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    if nm:
        errors += int(nm.group(1))
    sm = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sm:
        errors += sum(int(x) for x in sm.groups())
    res["errors"] = errors
    return res


def wrk_cmd(port, conns, seconds):
    return ["wrk", "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s",
            "-H", "Host: 169.254.169.254", f"http://127.0.0.1:{port}{configs.REQUEST_PATH}"]


def run_wrk(port, conns, seconds, cpu):
    proc = procs.spawn(wrk_cmd(port, conns, seconds), cpu, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(timeout=seconds + 30)
    finally:
        procs.REGISTRY.procs.pop(proc.pid, None)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{out.decode(errors='replace')}")
    return parse_wrk(out.decode(errors="replace"))


def measured_run(pid, port, conns, seconds, load_cpu):
    """One wrk run; adds the proxy's CPU time (all its processes and threads) per request."""
    pids = procs.tree(pid)
    cpu0 = procs.cpu_seconds(pids)
    t0 = time.monotonic()
    res = run_wrk(port, conns, seconds, load_cpu)
    wall = time.monotonic() - t0
    cpu = procs.cpu_seconds(pids) - cpu0
    res["cpu_s"] = cpu
    res["cpu_us_per_req"] = cpu * 1e6 / res["requests"] if res["requests"] else float("nan")
    res["core_busy"] = cpu / wall
    return res


def _attach_during_wrk(tool_cmd, port, conns, seconds, load_cpu, ctl_cpu):
    """Starts tool_cmd (a tracer attached to the proxy), runs wrk, then ends the tracer with
    SIGINT so it writes its summary. Returns the wrk result."""
    tool = procs.spawn(tool_cmd, ctl_cpu, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)  # attach
        res = run_wrk(port, conns, seconds, load_cpu)
    finally:
        try:
            os.kill(tool.pid, signal.SIGINT)
            tool.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            procs.REGISTRY.stop(tool)
        procs.REGISTRY.procs.pop(tool.pid, None)
    return res


def syscalls_total(pid, port, conns, seconds, load_cpu, workdir, tag):
    """Syscalls and context switches per request, counted by `perf stat` (low overhead)."""
    out = os.path.join(workdir, f"perfstat-{tag}.csv")
    pids = ",".join(str(p) for p in procs.tree(pid))
    cmd = ["perf", "stat", "-x", ",", "-o", out, "-e", "raw_syscalls:sys_enter,context-switches",
           "-p", pids]
    res = _attach_during_wrk(cmd, port, conns, seconds, load_cpu, load_cpu)
    counts = {}
    with open(out) as f:
        for line in f:
            parts = line.strip().split(",")
            if len(parts) > 2 and parts[0].replace(".", "").isdigit():
                counts[parts[2]] = float(parts[0])
    n = res["requests"] or 1
    return {"syscalls_per_req": counts.get("raw_syscalls:sys_enter", float("nan")) / n,
            "ctxsw_per_req": counts.get("context-switches", float("nan")) / n,
            "requests": res["requests"]}


def syscalls_breakdown(pid, port, conns, seconds, load_cpu, workdir, tag):
    """Per-syscall calls (and failed calls) per request, from `perf trace -s` on all the
    proxy's processes and threads; `strace -c -f` if perf trace gives nothing. Returns
    {syscall: (calls per request, errors per request)}, most frequent first."""
    pids = procs.tree(pid)
    out = os.path.join(workdir, f"perftrace-{tag}.txt")
    cmd = ["perf", "trace", "-s", "-o", out, "-p", ",".join(str(p) for p in pids)]
    res = _attach_during_wrk(cmd, port, conns, seconds, load_cpu, load_cpu)
    calls = _parse_perf_trace(out)
    tool = "perf trace"
    if not calls:
        out = os.path.join(workdir, f"strace-{tag}.txt")
        cmd = ["strace", "-c", "-f", "-o", out] + [a for p in pids for a in ("-p", str(p))]
        res = _attach_during_wrk(cmd, port, conns, seconds, load_cpu, load_cpu)
        calls = _parse_strace(out)
        tool = "strace"
    n = res["requests"] or 1
    per = {name: (c / n, e / n) for name, (c, e) in calls.items()}
    return tool, dict(sorted(per.items(), key=lambda kv: -kv[1][0]))


def _parse_perf_trace(path):
    """Sums the per-thread tables of `perf trace -s`: {syscall: (calls, errors)}."""
    calls = {}
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r"^\s+(\w+)\s+(\d+)\s+(\d+)\s+[\d.]+\s", line)
                if m:
                    c, e = calls.get(m.group(1), (0, 0))
                    calls[m.group(1)] = (c + int(m.group(2)), e + int(m.group(3)))
    except OSError:
        pass
    return calls


def _parse_strace(path):
    calls = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            # "% time  seconds  usecs/call  calls  [errors]  syscall"
            if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
                try:
                    errors = int(parts[4]) if len(parts) == 6 else 0
                    calls[parts[-1]] = (int(parts[3]), errors)
                except ValueError:
                    pass
    return calls


def profile(pid, port, conns, seconds, load_cpu, workdir, tag):
    """perf record of the proxy under load; returns the `perf report` text (top symbols)."""
    data = os.path.join(workdir, f"perf-{tag}.data")
    pids = ",".join(str(p) for p in procs.tree(pid))
    cmd = ["perf", "record", "-F", "1999", "-g", "-o", data, "-p", pids]
    _attach_during_wrk(cmd, port, conns, seconds, load_cpu, load_cpu)
    text = ""
    for sort, limit in (("dso", "0.5"), ("dso,symbol", "0.7")):
        report = subprocess.run(
            ["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort,
             "-g", "none", "--percent-limit", limit],
            capture_output=True, text=True, timeout=300)
        text += report.stdout + "\n"
    return text
