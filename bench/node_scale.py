#!/usr/bin/env python3
"""Scale benchmark of `ns-metadata-proxy node` (docs/node.md): one process serving a
listener in each of N network namespaces.

    sudo python3 bench/node_scale.py [--count 1000] [--binary build/src/app/ns-metadata-proxy]

What it does, as root, with Debian's python3, iproute2 and curl only:

1. sweeps namespaces named nsmp-bench-<pid>-… whose run is gone (a killed run);
2. starts one `node --nodaemonize --control <tmp>/control.sock` and a trivial metadata
   agent on a UNIX socket (answers 200 "ok", records the identity headers);
3. creates N namespaces nsmp-bench-<pid>-<i>, each with lo up and 169.254.169.254/32 on lo;
4. reads the node's RSS/PSS (/proc/PID/smaps_rollup) and open fds, then adds one listener
   per namespace (169.254.169.254:80, its own --network_id) over ONE persistent control
   connection, timing each add; reads RSS/PSS/fds again;
5. sends one request through a few listeners (first, middle, last, two random) with
   curl inside their namespace and checks the agent saw that listener's network id;
6. removes every listener (same connection, timed), reads memory and fds again, stops
   the node (SIGTERM, must exit 0) and deletes the namespaces.

It prints a Markdown table and writes it to bench/results/node-scale-<date>.md (not
committed). bench/RESULTS.md's "PSS x100" figures (100 single proxies, one process per
network) are shown beside it when that file has them.

Every namespace it made is deleted on success, failure, Ctrl-C or SIGTERM; the node dies
with it (PR_SET_PDEATHSIG) if it is killed, and the next run sweeps what is left.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ctypes
import datetime
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_BINARY = os.path.join(ROOT, "build", "src", "app", "ns-metadata-proxy")
PREFIX = "nsmp-bench-"  # namespaces: nsmp-bench-<pid>-<i>
WORKDIR_PREFIX = "nsmp-node-scale-"  # temp dir: nsmp-node-scale-<pid>-…
METADATA_IP = "169.254.169.254"
CMD_TIMEOUT = 60  # any single ip/curl call
CTL_TIMEOUT = 30  # any single control reply
BATCH = 200  # namespaces per `ip -batch` call


class BenchError(RuntimeError):
    pass


class Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds
        self.seconds = seconds

    def check(self, what: str) -> None:
        if time.monotonic() > self.end:
            raise BenchError(f"time limit ({self.seconds:.0f} s) reached during {what}")


def run(args, input=None, timeout=CMD_TIMEOUT, check=True):
    proc = subprocess.run(args, input=input, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise BenchError(f"{' '.join(args[:6])}… failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
    return proc


# -- namespaces -------------------------------------------------------------------------


def list_netns() -> list[str]:
    out = run(["ip", "netns", "list"]).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def delete_namespaces(names: list[str]) -> None:
    """`ip -force -batch`: keeps going past names that are already gone."""
    for start in range(0, len(names), BATCH):
        chunk = names[start : start + BATCH]
        run(["ip", "-force", "-batch", "-"], input="".join(f"netns delete {n}\n" for n in chunk),
            timeout=CMD_TIMEOUT + len(chunk), check=False)


def sweep_leftovers() -> list[str]:
    """Namespaces of earlier runs whose process is gone."""
    dead = []
    for name in list_netns():
        if not name.startswith(PREFIX):
            continue
        try:
            pid = int(name[len(PREFIX) :].split("-")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not pid_alive(pid):
            dead.append(name)
    delete_namespaces(dead)
    # And the temporary directories (sockets, node log) of those runs.
    tmp = tempfile.gettempdir()
    for entry in os.listdir(tmp):
        if entry.startswith(WORKDIR_PREFIX):
            try:
                owner = int(entry[len(WORKDIR_PREFIX) :].split("-")[0])
            except ValueError:
                continue
            if owner != os.getpid() and not pid_alive(owner):
                shutil.rmtree(os.path.join(tmp, entry), ignore_errors=True)
    return dead


def create_namespaces(names: list[str], made: list[str], deadline: Deadline, jobs: int) -> None:
    """Each with lo up and 169.254.169.254/32 on lo. `made` gets every name before it is
    created, so the cleanup covers a run stopped half-way."""
    for start in range(0, len(names), BATCH):
        deadline.check("namespace creation")
        chunk = names[start : start + BATCH]
        made.extend(chunk)
        run(["ip", "-batch", "-"], input="".join(f"netns add {n}\n" for n in chunk),
            timeout=CMD_TIMEOUT + len(chunk))

    def configure(name):
        run(["ip", "-n", name, "-batch", "-"],
            input=f"link set lo up\naddr add {METADATA_IP}/32 dev lo\n")

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(configure, n) for n in names]
        for f in concurrent.futures.as_completed(futures):
            deadline.check("namespace configuration")
            f.result()


# -- the agent ----------------------------------------------------------------------------


class Agent(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str):
        self.seen: dict[str, dict[str, str]] = {}  # request path -> lower-case headers
        self.lock = threading.Lock()
        super().__init__(path, AgentHandler)
        os.chmod(path, 0o777)


class AgentHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        parts = head[0].split(" ")
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        with self.server.lock:
            self.server.seen[parts[1] if len(parts) > 1 else "?"] = headers
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                             b"Content-Length: 2\r\nConnection: close\r\n\r\nok")


# -- the node -------------------------------------------------------------------------------


def _die_with_parent():
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def memory(pid: int) -> dict[str, int]:
    """Rss and Pss in bytes, from smaps_rollup."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            m = re.match(r"(Rss|Pss):\s+(\d+) kB", line)
            if m:
                out[m.group(1)] = int(m.group(2)) * 1024
    return out


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def nofile_limit(pid: int) -> str:
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return f"{soft} (hard {hard})"
    return "?"


class Control:
    """One persistent connection to the node's control socket."""

    def __init__(self, path: str):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(CTL_TIMEOUT)
        self.sock.connect(path)
        self.reader = self.sock.makefile("rb")

    def request(self, obj: dict) -> dict:
        self.sock.sendall(json.dumps(obj).encode() + b"\n")
        line = self.reader.readline()
        if not line:
            raise BenchError(f"the node closed the control connection after {obj}")
        return json.loads(line)

    def close(self):
        self.reader.close()
        self.sock.close()


def wait_for_socket(path: str, proc: subprocess.Popen, timeout: float = 15) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BenchError(f"the node exited with {proc.returncode} before listening on {path}")
        if os.path.exists(path):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                try:
                    s.connect(path)
                    return
                except OSError:
                    pass
        time.sleep(0.05)
    raise BenchError(f"the node did not accept on {path} within {timeout} s")


def stop(proc: subprocess.Popen, grace: float = 10) -> int | None:
    """SIGTERM to our node (by pid), SIGKILL after `grace`."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace)
        except ProcessLookupError:
            pass
    return proc.returncode


# -- figures ----------------------------------------------------------------------------------


def mib(b: float) -> str:
    return f"{b / 1048576:.2f} MiB"


def size(b: float) -> str:
    if abs(b) >= 1048576:
        return mib(b)
    if abs(b) >= 1024:
        return f"{b / 1024:.1f} KiB"
    return f"{b:.0f} B"


def usec(ns: float) -> str:
    us = ns / 1000
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs"


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def results_pss_x100(path: str) -> list[tuple[str, float]]:
    """(proxy, MiB) rows of bench/RESULTS.md's memory table that have a "PSS x100" figure."""
    if not os.path.exists(path):
        return []
    rows, col = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.startswith("|"):
                col = None
                continue
            if "PSS x100" in cells and cells[0] == "proxy":
                col = cells.index("PSS x100")
                continue
            if col is None or len(cells) <= col:
                continue
            m = re.match(r"([\d.]+) MiB", cells[col])
            if m:
                rows.append((cells[0], float(m.group(1))))
    return rows


# -- the run ----------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=1000, help="namespaces and listeners (default 1000)")
    ap.add_argument("--binary", default=DEFAULT_BINARY, help="ns-metadata-proxy (default %(default)s)")
    ap.add_argument("--time-limit", type=float, default=900,
                    help="seconds for the whole run before it gives up and cleans up (default 900)")
    ap.add_argument("--probes", type=int, default=5, help="listeners to send a request through")
    ap.add_argument("--jobs", type=int, default=8, help="parallel `ip` calls while configuring")
    ap.add_argument("--out", help="report path (default bench/results/node-scale-<date>.md)")
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"),
                    help="where to read haproxy's PSS x100 from (default %(default)s)")
    args = ap.parse_args()

    if os.geteuid() != 0:
        print("node_scale.py needs root (network namespaces, setns)", file=sys.stderr)
        return 2
    for tool in ("ip", "curl"):
        if shutil.which(tool) is None:
            print(f"node_scale.py needs `{tool}`", file=sys.stderr)
            return 2
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        print(f"no binary at {binary} (build it, or pass --binary)", file=sys.stderr)
        return 2
    if args.count < 1:
        print("--count must be at least 1", file=sys.stderr)
        return 2

    # Ctrl-C, SIGTERM and SIGHUP all take the way out through the finally below (SIGINT
    # explicitly too: a shell starting us in the background would have it ignored).
    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)

    deadline = Deadline(args.time_limit)
    swept = sweep_leftovers()
    if swept:
        print(f"swept {len(swept)} namespaces left by killed runs", file=sys.stderr)

    pid = os.getpid()
    n = args.count
    names = [f"{PREFIX}{pid}-{i:05d}" for i in range(n)]
    ids = [f"b0b0b0b0-0000-4000-8000-{i:012d}" for i in range(n)]
    workdir = tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{pid}-")
    control_path = os.path.join(workdir, "control.sock")
    agent_path = os.path.join(workdir, "agent.sock")
    log_path = os.path.join(workdir, "node.log")
    made: list[str] = []
    node = agent = ctl = None
    f: dict = {"count": n}
    status = 1
    try:
        agent = Agent(agent_path)
        threading.Thread(target=agent.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        with open(log_path, "ab") as log:
            node = subprocess.Popen([binary, "node", "--nodaemonize", "--control", control_path],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, preexec_fn=_die_with_parent)
        wait_for_socket(control_path, node)

        t0 = time.monotonic()
        create_namespaces(names, made, deadline, args.jobs)
        f["netns_setup_s"] = time.monotonic() - t0
        print(f"{n} namespaces ready in {f['netns_setup_s']:.1f} s", file=sys.stderr)

        ctl = Control(control_path)
        listed = ctl.request({"op": "list"})
        if listed.get("listeners") != []:
            raise BenchError(f"a fresh node lists listeners: {listed}")
        time.sleep(0.2)
        f["before"] = memory(node.pid) | {"fds": fd_count(node.pid)}
        f["nofile"] = nofile_limit(node.pid)

        add_ns = []
        for i in range(n):
            if i % 50 == 0:
                deadline.check("adds")
            req = {"op": "add", "netns": names[i],
                   "args": ["--network_id", ids[i], "--bind_host", METADATA_IP,
                            "--metadata_port", "80", "--metadata_proxy_socket", agent_path]}
            t = time.perf_counter_ns()
            reply = ctl.request(req)
            add_ns.append(time.perf_counter_ns() - t)
            if reply.get("ok") is not True or reply.get("listening") != f"{METADATA_IP}:80":
                raise BenchError(f"add #{i} ({names[i]}) refused after {i} listeners: {reply}\n"
                                 f"node's open fds: {fd_count(node.pid)}, limit {f['nofile']}")
        f["add_ns"] = add_ns
        time.sleep(0.2)
        f["after"] = memory(node.pid) | {"fds": fd_count(node.pid)}

        t = time.perf_counter_ns()
        listed = ctl.request({"op": "list"})
        f["list_ns"] = time.perf_counter_ns() - t
        if len(listed.get("listeners", [])) != n:
            raise BenchError(f"list shows {len(listed.get('listeners', []))} listeners, not {n}")
        f["list_bytes"] = len(json.dumps(listed))
        time.sleep(0.2)
        f["after_list"] = memory(node.pid) | {"fds": fd_count(node.pid)}

        probes = sorted({0, n // 2, n - 1} | set(random.sample(range(n), min(n, max(0, args.probes - 3)))))
        for i in probes:
            deadline.check("probes")
            path = f"/bench/{i}"
            proc = run(["ip", "netns", "exec", names[i], "curl", "-sS", "--max-time", "5",
                        f"http://{METADATA_IP}{path}"], check=False, timeout=15)
            seen = agent.seen.get(path, {})
            if proc.returncode != 0 or proc.stdout != "ok":
                raise BenchError(f"request through {names[i]} failed ({proc.returncode}): "
                                 f"{proc.stdout!r} {proc.stderr.strip()}")
            if seen.get("x-neutron-network-id") != ids[i] or seen.get("x-forwarded-for") != METADATA_IP:
                raise BenchError(f"the agent got {seen} through {names[i]} (wanted network {ids[i]})")
        f["probes"] = len(probes)
        f["after_probes"] = memory(node.pid) | {"fds": fd_count(node.pid)}

        t = time.perf_counter_ns()
        for i in range(n):
            if i % 50 == 0:
                deadline.check("removes")
            reply = ctl.request({"op": "remove", "uuid": ids[i]})
            if reply.get("ok") is not True:
                raise BenchError(f"remove #{i} refused: {reply}")
        f["remove_all_ns"] = time.perf_counter_ns() - t
        listed = ctl.request({"op": "list"})
        if listed.get("listeners") != []:
            raise BenchError(f"listeners left after removing all: {len(listed.get('listeners', []))}")
        time.sleep(0.2)
        f["removed"] = memory(node.pid) | {"fds": fd_count(node.pid)}
        ctl.close()
        ctl = None
        f["exit"] = stop(node)
        if f["exit"] != 0:
            raise BenchError(f"the node exited with {f['exit']} on SIGTERM")
        status = 0
    except BenchError as e:
        print(f"node_scale.py: {e}", file=sys.stderr)
    except KeyboardInterrupt as e:
        print(f"node_scale.py: interrupted ({e}); cleaning up", file=sys.stderr)
        status = 130
    finally:
        if ctl is not None:
            ctl.close()
        if node is not None:
            stop(node)
        if agent is not None:
            agent.shutdown()
            agent.server_close()
        t = time.monotonic()
        # Ctrl-C again must not leave namespaces behind.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        delete_namespaces(made)
        f["netns_delete_s"] = time.monotonic() - t
        left = [x for x in list_netns() if x in set(made)]
        if left:
            print(f"node_scale.py: could not delete {len(left)} namespaces: {left[:5]}…", file=sys.stderr)
            status = status or 1
        if status != 0 and os.path.exists(log_path):
            with open(log_path, encoding="utf-8", errors="replace") as lf:
                tail = lf.read().splitlines()[-20:]
            print("--- node log tail ---\n" + "\n".join(tail), file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    if status != 0:
        return status

    report = render(f, binary, results_pss_x100(args.results), args.results)
    print(report)
    out = args.out or os.path.join(HERE, "results",
                                   f"node-scale-{datetime.datetime.now():%Y-%m-%d-%H%M%S}-n{n}.md")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(report)
    print(f"written to {out}", file=sys.stderr)
    return 0


def git_commit() -> str:
    try:
        return run(["git", "-C", ROOT, "log", "-1", "--format=%h %s"], timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001 -- only a label
        return "?"


def build_kind(binary: str) -> str:
    """The CMake build type (from the CMakeCache.txt above the binary) and whether it is
    sanitized: a Debug or ASan build's memory figures are not comparable."""
    kind = "build type unknown"
    d = os.path.dirname(binary)
    for _ in range(4):
        cache = os.path.join(d, "CMakeCache.txt")
        if os.path.exists(cache):
            with open(cache, encoding="utf-8", errors="replace") as fh:
                m = re.search(r"^CMAKE_BUILD_TYPE:STRING=(.*)$", fh.read(), re.M)
            kind = m.group(1) or "no build type" if m else kind
            break
        d = os.path.dirname(d)
    with open(binary, "rb") as fh:
        if b"__asan_init" in fh.read():
            kind += ", AddressSanitizer"
    return kind


def render(f: dict, binary: str, x100: list[tuple[str, float]], results_path: str) -> str:
    n = f["count"]
    b, a, li, p, r = f["before"], f["after"], f["after_list"], f["after_probes"], f["removed"]
    add = f["add_ns"]
    pss_per = (a["Pss"] - b["Pss"]) / n
    rss_per = (a["Rss"] - b["Rss"]) / n
    lines = [
        f"# ns-metadata-proxy node: {n} listeners in {n} namespaces",
        "",
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; `{binary}` "
        f"({build_kind(binary)}), commit "
        f"`{git_commit()}`; {platform.node()}, Linux {platform.release()}, {os.cpu_count()} CPUs; "
        f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        f"Command: `python3 bench/node_scale.py --count {n}`. Each namespace: lo up, "
        f"{METADATA_IP}/32 on lo; each listener: `--network_id <id> --bind_host {METADATA_IP} "
        "--metadata_port 80 --metadata_proxy_socket <agent>`, added over one persistent control "
        "connection. Memory from /proc/PID/smaps_rollup of the node (one process), read 0.2 s "
        "after each phase.",
        "",
        f"| figure | before any listener | after {n} adds | after one `list` | after the requests "
        "| after removing all |",
        "|---|---|---|---|---|---|",
        *(f"| node {'open fds' if k == 'fds' else k.upper()} | "
          + " | ".join(str(x[k]) if k == "fds" else mib(x[k]) for x in (b, a, li, p, r)) + " |"
          for k in ("Rss", "Pss", "fds")),
        "",
        "| figure | value |",
        "|---|---|",
        f"| listeners | {n} |",
        f"| PSS per listener | {size(pss_per)} |",
        f"| RSS per listener | {size(rss_per)} |",
        f"| fds per listener | {(a['fds'] - b['fds']) / n:.2f} (node's limit {f['nofile']}) |",
        f"| add, median | {usec(statistics.median(add))} |",
        f"| add, p99 | {usec(percentile(add, 99))} |",
        f"| add, max | {usec(max(add))} |",
        f"| add, first 10% / last 10% (median) | {usec(statistics.median(add[: max(1, n // 10)]))} / "
        f"{usec(statistics.median(add[-max(1, n // 10):]))} |",
        f"| list of {n} listeners | {usec(f['list_ns'])} ({size(f['list_bytes'])} of JSON) |",
        f"| remove all {n} | {usec(f['remove_all_ns'])} ({usec(f['remove_all_ns'] / n)} each) |",
        f"| requests through listeners (curl in the namespace) | {f['probes']} / {f['probes']} answered, right network id |",
        f"| node exit on SIGTERM | {f['exit']} |",
        f"| setup: create {n} namespaces / delete them (not the node's time) | "
        f"{f['netns_setup_s']:.1f} s / {f['netns_delete_s']:.1f} s |",
        "",
    ]
    if x100:
        lines += [
            f"Against one process per network (*PSS x100* of `{os.path.relpath(results_path, ROOT)}`: "
            "100 idle single proxies alive at once; scaled linearly to "
            f"{n} networks). The node's figure is measured here, after {n} adds, idle.",
            "",
            f"| setup | PSS for 100 networks | per network | PSS for {n} networks | node / this |",
            "|---|---|---|---|---|",
        ]
        node_100 = b["Pss"] + 100 * pss_per
        lines.append(f"| **node (one process), this run** | {mib(node_100)} (est.) | {size(pss_per)} "
                     f"| {mib(a['Pss'])} | 1× |")
        for proxy, v in x100:
            per = v * 1048576 / 100
            lines.append(f"| {proxy}, one per network | {v:.2f} MiB | {size(per)} | {mib(per * n)} "
                         f"| {a['Pss'] / (per * n):.3f}× |")
        lines.append("")
    else:
        lines += [f"({results_path} has no PSS x100 figures to compare with.)", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
