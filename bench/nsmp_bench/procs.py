"""Processes the benchmark starts: spawning pinned to a core, readiness, /proc figures, cleanup.

Every process is recorded in REGISTRY when it starts and ended by pid (SIGTERM, then SIGKILL)
by kill_all(), which main() runs on exit and on SIGINT/SIGTERM. Nothing is ever killed by name.
"""

import os
import signal
import socket
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


class Registry:
    def __init__(self):
        self.procs = {}  # pid -> Popen
        self.extra = set()  # descendant pids seen (nginx workers), killed too

    def add(self, proc):
        self.procs[proc.pid] = proc

    def note_children(self, pid):
        self.extra.update(descendants(pid))

    def stop(self, proc, grace=3.0):
        """Ends one process we started, and the descendants noted for it."""
        kids = descendants(proc.pid)
        _signal(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        for k in kids:
            if _alive(k):
                _signal(k, signal.SIGKILL)
        self.procs.pop(proc.pid, None)

    def kill_all(self):
        for pid, proc in list(self.procs.items()):
            self.extra.update(descendants(pid))
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + 3
        for pid, proc in list(self.procs.items()):
            try:
                proc.wait(timeout=max(0.05, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(pid, signal.SIGKILL)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        for pid in self.extra:
            if _alive(pid):
                _signal(pid, signal.SIGKILL)
        self.procs.clear()
        self.extra.clear()


REGISTRY = Registry()


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def spawn(cmd, cpu, stdout=None, stderr=None, env=None):
    """Starts cmd with its CPU affinity set to {cpu} (inherited: this process is pinned to
    `cpu` across the fork, so no taskset exec sits between fork and the program)."""
    mine = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=stdout if stdout is not None else subprocess.DEVNULL,
            stderr=stderr if stderr is not None else subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    finally:
        os.sched_setaffinity(0, mine)
    REGISTRY.add(proc)
    return proc


def descendants(pid):
    """All live descendants of pid (by scanning /proc for parent ids)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def tree(pid):
    return [pid] + descendants(pid)


def cpu_seconds(pids):
    """utime+stime of the given processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # fields 14, 15 of stat(5)
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


def memory_kib(pids):
    """(RSS, PSS) in KiB summed over the given processes, from smaps_rollup."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1 (held open together while choosing)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def try_connect(addr, family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.connect(addr)
        return s
    except OSError:
        s.close()
        return None


def _connects(addr, family):
    s = try_connect(addr, family)
    if s:
        s.close()
    return s is not None


def _wait(ready, proc, what, timeout):
    """Polls ready() until true; raises if proc died first or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before {what}")
        time.sleep(0.005)
    raise RuntimeError(f"{proc.args[0]} did not reach '{what}' within {timeout}s")


def wait_tcp(port, proc, timeout=10.0):
    """Waits until 127.0.0.1:port accepts a connection."""
    _wait(lambda: _connects(("127.0.0.1", port), socket.AF_INET), proc,
          f"listening on port {port}", timeout)


def wait_unix(path, proc, timeout=10.0):
    """Waits until the UNIX stream socket at path accepts a connection."""
    _wait(lambda: _connects(path, socket.AF_UNIX), proc, f"listening on {path}", timeout)


def wait_unix_dgram(path, proc, timeout=10.0):
    """Waits until a datagram socket is bound at path (the file exists)."""
    _wait(lambda: os.path.exists(path), proc, f"binding {path}", timeout)


def http_get(port, path="/openstack/latest/meta_data.json", timeout=5.0):
    """One HTTP/1.1 GET with Connection: close; returns the status code (0 on failure)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 169.254.169.254\r\nConnection: close\r\n\r\n".encode()
            )
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else 0
    except (OSError, ValueError, IndexError):
        return 0
