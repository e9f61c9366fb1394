"""Start the real ns-metadata-proxy binary and observe it (log, access log, /proc)."""
import os
import re
import signal
import socket
import subprocess
import time

from . import wire

START_TIMEOUT = 10.0
# Lines an ASan/UBSan build of the binary prints when it finds a bug.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
LISTENING = re.compile(r"listening on (\[[0-9a-fA-F:.%]+\]|[0-9.]+):(\d+)")
# access <peer-ip>:<peer-port> "<METHOD> <target> HTTP/1.x" <status> <bytes> <ms>ms <reason>
ACCESS = re.compile(r'access (\S+):(\d+) "(.*)" (\d{3}) (\d+) (\d+(?:\.\d+)?)ms (\S+)\s*$')

NETWORK_ID = "8c2a4f2e-1d8b-4a86-9a1c-0f7d7c3e2b11"
ROUTER_ID = "5f0c9a1e-77b3-4c5d-8e2a-3b6d9f1a0c44"

# Short timeouts keep the suite fast; tests that exercise a timeout set their own.
FAST_TIMEOUTS = [
    "--timeout_http_request", "5",
    "--timeout_connect", "2",
    "--timeout_client", "10",
    "--timeout_server", "5",
    "--timeout_http_keep_alive", "5",
]


# Options of neutron_args() that take a value (so a test can override them).
VALUED = {"--metadata_port", "--bind_host", "--metadata_proxy_socket", "--state_path",
          *FAST_TIMEOUTS[0::2]}


def neutron_args(workdir, upstream_path, identity=("--network_id", NETWORK_ID), port=0):
    return [
        *identity,
        "--nodaemonize",
        "--metadata_port", str(port),
        "--bind_host", "127.0.0.1",
        "--metadata_proxy_socket", upstream_path,
        "--state_path", workdir,
        *FAST_TIMEOUTS,
    ]


class AccessEntry:
    def __init__(self, match, line):
        self.line = line
        self.peer_ip = match.group(1)
        self.peer_port = int(match.group(2))
        self.request_line = match.group(3)
        self.status = int(match.group(4))
        self.bytes = int(match.group(5))
        self.ms = float(match.group(6))
        self.reason = match.group(7)

    def __repr__(self):
        return f"AccessEntry({self.line!r})"


def sanitizer_report(log):
    """The log's tail when a sanitizer build reported a bug in it, else None."""
    return log[-6000:] if any(m in log for m in SANITIZER_MARKERS) else None


def pid_alive(pid):
    """Running, and not a zombie waiting for its parent (or a busy init) to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def terminate_pid(pid, timeout=5.0):
    """SIGTERM a process the test started but is not the parent of (a daemon),
    SIGKILL after `timeout` seconds."""
    if not pid_alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)


def free_port():
    """A loopback TCP port free at the moment of asking."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proxy:
    def __init__(self, binary, workdir, args, log_file=None, name="proxy"):
        self.binary = binary
        self.workdir = workdir
        self.args = list(args)
        self.log_file = log_file  # --log-file given: the log is there, else stderr
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        self.proc = None
        self.env = None  # the environment to spawn with (None: ours)
        self.host = None  # as logged: IPv6 without brackets
        self.port = None

    # -- lifecycle -----------------------------------------------------------
    def spawn(self):
        args = list(self.args)
        if self.log_file:
            args += ["--log-file", self.log_file]
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, *args], stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=self._stderr,
            env=self.env,
        )
        return self

    def start(self):
        """Spawn and wait until it logs `listening on 127.0.0.1:<port>`."""
        self.spawn()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            m = LISTENING.search(self.log())
            if m:
                self.host = m.group(1).strip("[]")
                self.port = int(m.group(2))
                return self
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"proxy exited with {self.proc.returncode} before listening:\n{self.log()}"
                )
            time.sleep(0.01)
        raise AssertionError(f"proxy did not log 'listening on' within {START_TIMEOUT}s:\n{self.log()}")

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout=10.0):
        return self.proc.wait(timeout)

    def stop(self, timeout=5.0):
        """SIGTERM, then SIGKILL if it does not exit; returns the exit status."""
        if self.proc is None:
            return None
        if self._stderr.closed:
            return self.proc.returncode
        if self.alive():
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._stderr.close()
        return self.proc.returncode

    # -- log -----------------------------------------------------------------
    def sanitizer_report(self):
        return sanitizer_report(self.log())

    def log(self):
        parts = []
        for path in (self.stderr_path, self.log_file):
            if path and os.path.exists(path):
                with open(path, "rb") as f:
                    parts.append(f.read().decode("utf-8", "replace"))
        return "".join(parts)

    def access_entries(self):
        out = []
        for line in self.log().splitlines():
            m = ACCESS.search(line)
            if m:
                out.append(AccessEntry(m, line))
        return out

    def wait_access(self, status, reason=None, timeout=5.0, **match):
        """The first access-log entry with this status (and reason, if given)."""
        deadline = time.monotonic() + timeout
        while True:
            for e in self.access_entries():
                if e.status == status and (reason is None or e.reason == reason):
                    if all(getattr(e, k) == v for k, v in match.items()):
                        return e
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no access-log entry with status {status} reason {reason} {match}; log:\n"
                    + self.log()[-4000:]
                )
            time.sleep(0.02)

    def wait_log(self, pattern, timeout=5.0):
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            m = regex.search(self.log())
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(f"log never matched {pattern!r}:\n{self.log()[-4000:]}")
            time.sleep(0.02)

    # -- /proc ---------------------------------------------------------------
    def status_field(self, field):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return line.split(":", 1)[1].split()
        return None

    def rss_kib(self):
        return int(self.status_field("VmRSS")[0])

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    # -- clients -------------------------------------------------------------
    def connect(self, timeout=wire.DEFAULT_TIMEOUT):
        return wire.Client(self.port, host=self.host, timeout=timeout)

    def request(self, raw, feed="whole", method=None):
        """Send raw on a new connection; (status, headers, body) as a Response."""
        with self.connect() as c:
            return c.request(raw, feed, method)
