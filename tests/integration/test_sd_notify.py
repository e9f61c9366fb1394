"""The service manager's notify protocol (src/daemon/notify.h), for the single proxy
and the node: the test plays systemd with its own datagram socket as NOTIFY_SOCKET.

- READY=1 arrives only once the sockets accept: when it arrives the log already says
  "listening on" / the control socket answers, and a start that fails to bind sends
  no READY=1 at all;
- STOPPING=1 on SIGTERM, before the exit;
- WATCHDOG=1 at half of WATCHDOG_USEC while WATCHDOG_PID is unset or names the
  process, none when it names another one;
- with --daemonize, the daemon (not the launcher, which exits) sends READY=1 with
  MAINPID=<its pid>, the pid in the pidfile.

SO_PASSCRED makes the kernel attach each sender's pid (as systemd reads it), so every
message is checked to come from the process that stays.
"""
import os
import signal
import socket
import struct
import subprocess
import time

import pytest

from harness import node as node_mod
from harness import proxy as proxy_mod
from conftest import stop_checked

WAIT = 10.0  # bounded wait for a message that must come
PINGS = 5  # watchdog pings to see (at 50 ms each, well inside WAIT)


class NotifySocket:
    """A manager's notify socket: a path in workdir, or an abstract name."""

    def __init__(self, workdir, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        if abstract:
            name = f"nsmp-package-notify-{os.getpid()}-{time.monotonic_ns()}"
            self.sock.bind("\0" + name)
            self.address = "@" + name
        else:
            self.address = os.path.join(workdir, "notify.sock")
            self.sock.bind(self.address)
        self.messages = []  # (sender pid, {key: value}) in arrival order

    def env(self, **extra):
        env = dict(os.environ, NOTIFY_SOCKET=self.address)
        for key in ("WATCHDOG_USEC", "WATCHDOG_PID"):
            env.pop(key, None)
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def _receive(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        except (socket.timeout, BlockingIOError):
            return None
        pid = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", payload[:12])[0]
        fields = dict(line.split("=", 1) for line in data.decode().split("\n") if line)
        self.messages.append((pid, fields))
        return pid, fields

    def wait_for(self, key, value="1", timeout=WAIT):
        """The first message (already received or arriving) with key=value."""
        for pid, fields in self.messages:
            if fields.get(key) == value:
                return pid, fields
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self._receive(max(0.01, deadline - time.monotonic()))
            if got and got[1].get(key) == value:
                return got
        raise AssertionError(f"no {key}={value} within {timeout}s; got {self.messages}")

    def drain(self):
        """Everything already queued (the sender has exited: nothing more comes)."""
        while self._receive(0.0) is not None:
            pass
        return self.messages

    def wait_count(self, key, n, value="1", timeout=WAIT):
        """Receives until n messages with key=value have come (or timeout); their count."""
        deadline = time.monotonic() + timeout
        while self.count(key, value) < n and time.monotonic() < deadline:
            self._receive(0.2)
        return self.count(key, value)

    def count(self, key, value="1"):
        return sum(1 for _, fields in self.messages if fields.get(key) == value)

    def close(self):
        self.sock.close()


@pytest.fixture
def notify(workdir):
    n = NotifySocket(workdir)
    yield n
    n.close()


@pytest.fixture
def spawn_proxy():
    """spawn_proxy(binary, workdir, upstream_path, env, *extra, name=, wrap_pid=): the
    single proxy with Neutron's command line, not waiting for anything. wrap_pid: start
    it through `sh -c 'export WATCHDOG_PID=$$; exec ...'`, so WATCHDOG_PID names the
    proxy's own pid, as systemd sets it. Teardown stops each and checks its log."""
    spawned = []

    def spawn(binary, workdir, upstream_path, env, *extra, name="proxy", wrap_pid=False):
        args = [*proxy_mod.neutron_args(workdir, upstream_path), *extra]
        if wrap_pid:
            p = proxy_mod.Proxy("/bin/sh", workdir, ["-c", 'export WATCHDOG_PID=$$; exec "$@"',
                                                     "sh", binary, *args], name=name)
        else:
            p = proxy_mod.Proxy(binary, workdir, args, name=name)
        p.env = env
        spawned.append(p)
        return p.spawn()

    yield spawn
    stop_checked(spawned, "proxy")


def listening_port(proxy):
    m = proxy_mod.LISTENING.search(proxy.log())
    assert m, f"READY=1 came before the log said 'listening on':\n{proxy.log()}"
    return int(m.group(2))


def busy_port():
    """A listening socket on a free loopback port: binding it again fails."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s


# -- the single proxy ------------------------------------------------------------

def test_proxy_ready_once_the_listener_accepts(spawn_proxy, binary, workdir, upstream,
                                               upstream_path, notify):
    p = spawn_proxy(binary, workdir, upstream_path, notify.env())
    try:
        pid, fields = notify.wait_for("READY")
        assert pid == p.pid and "MAINPID" not in fields, notify.messages
        # The moment READY=1 is read the listener accepts: connect and be answered.
        p.port, p.host = listening_port(p), "127.0.0.1"
        reply = p.request(b"GET /latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n")
        assert reply.status == 200, reply
        assert b"X-Neutron-Network-ID" in upstream.wait_request(0)
    finally:
        p.stop()


def test_proxy_sends_no_ready_when_it_cannot_bind(spawn_proxy, binary, workdir, upstream_path,
                                                  notify):
    with busy_port() as taken:
        port = taken.getsockname()[1]
        p = spawn_proxy(binary, workdir, upstream_path, notify.env(), "--metadata_port", str(port))
        assert p.wait_exit(WAIT) == 1, p.log()
        p.stop()
    assert "Address already in use" in p.log()
    # It has exited: whatever it sent is queued already.
    notify.drain()
    assert notify.count("READY") == 0, notify.messages


def test_proxy_stopping_on_sigterm(spawn_proxy, binary, workdir, upstream_path, notify):
    p = spawn_proxy(binary, workdir, upstream_path, notify.env())
    try:
        notify.wait_for("READY")
        p.signal(signal.SIGTERM)
        assert p.wait_exit(WAIT) == 0, p.log()
        pid, _ = notify.wait_for("STOPPING", timeout=0.1)  # sent before the exit
        assert pid == p.pid
    finally:
        p.stop()


def test_proxy_watchdog_pings_at_half_the_timeout(spawn_proxy, binary, workdir, upstream_path,
                                                  notify):
    # WATCHDOG_USEC 100 ms: a ping every 50 ms, from the proxy's own pid.
    p = spawn_proxy(binary, workdir, upstream_path, notify.env(WATCHDOG_USEC=100_000),
                    wrap_pid=True)
    try:
        notify.wait_for("READY")
        assert notify.wait_count("WATCHDOG", PINGS) >= PINGS, notify.messages
        assert {pid for pid, f in notify.messages if "WATCHDOG" in f} == {p.pid}
    finally:
        p.stop()


def test_proxy_no_watchdog_when_it_is_meant_for_another_pid(spawn_proxy, binary, workdir,
                                                            upstream_path, notify):
    # WATCHDOG_PID names another process (as when a wrapper was started): no pings,
    # although at 10 ms a ping would be due ~30 times in the window below.
    p = spawn_proxy(binary, workdir, upstream_path,
                    notify.env(WATCHDOG_USEC=20_000, WATCHDOG_PID=os.getpid()))
    try:
        notify.wait_for("READY")
        time.sleep(0.3)
        p.signal(signal.SIGTERM)
        assert p.wait_exit(WAIT) == 0
        notify.drain()
        assert notify.count("WATCHDOG") == 0, notify.messages
        assert notify.count("STOPPING") == 1
    finally:
        p.stop()


def test_daemonized_proxy_names_itself_the_main_pid(binary, workdir, upstream_path, notify):
    # What systemd needs from a forking daemon under Type=notify: the process that
    # stays sends READY=1 with MAINPID=<itself> before the launcher exits.
    pidfile = os.path.join(workdir, "proxy.pid")
    args = [a for a in proxy_mod.neutron_args(workdir, upstream_path) if a != "--nodaemonize"]
    launcher = subprocess.run(
        ["/bin/sh", "-c", 'export WATCHDOG_PID=$$; exec "$@"', "sh", binary, *args,
         "--daemonize", "--pid_file", pidfile],
        env=notify.env(WATCHDOG_USEC=100_000), capture_output=True, timeout=WAIT)
    daemon_pid = None
    try:
        assert launcher.returncode == 0, launcher.stderr
        with open(pidfile) as f:
            daemon_pid = int(f.read().strip())
        pid, fields = notify.wait_for("READY", timeout=1.0)  # sent before the launcher exited
        assert pid == daemon_pid and fields.get("MAINPID") == str(daemon_pid), notify.messages
        # Its pings: WATCHDOG_PID named the launcher, which the daemon replaced.
        assert notify.wait_count("WATCHDOG", PINGS) >= PINGS, notify.messages
        assert {pid for pid, f in notify.messages if "WATCHDOG" in f} == {daemon_pid}
        os.kill(daemon_pid, signal.SIGTERM)
        pid, _ = notify.wait_for("STOPPING")
        assert pid == daemon_pid
    finally:
        if daemon_pid is not None:
            proxy_mod.terminate_pid(daemon_pid)


# -- the node ----------------------------------------------------------------------

@pytest.fixture
def spawn_node():
    """spawn_node(binary, workdir, env, *extra, control=, wrap_pid=): the node, not
    waiting for anything. Teardown stops each and checks its log."""
    spawned = []

    def spawn(binary, workdir, env, *extra, control=None, wrap_pid=False):
        n = node_mod.Node(binary, workdir, control=control, extra=extra)
        if wrap_pid:
            n.args = ["-c", 'export WATCHDOG_PID=$$; exec "$@"', "sh", binary, *n.args]
            n.binary = "/bin/sh"
        n.env = env
        spawned.append(n)
        return n.spawn()

    yield spawn
    stop_checked(spawned, "node")


@pytest.mark.parametrize("unprivileged", [False, True], ids=["root", "user"])
def test_node_ready_once_the_control_socket_accepts(spawn_node, binary, workdir, unprivileged):
    # An abstract notify socket here (systemd uses a path; both are allowed). With
    # --user, READY=1 comes from the node, not from its root helper.
    if unprivileged and os.geteuid() != 0:
        pytest.skip("--user needs root")
    notify = NotifySocket(workdir, abstract=True)
    extra = ["--user", "nobody", "--group", "nogroup"] if unprivileged else []
    n = spawn_node(binary, workdir, notify.env(), *extra)
    try:
        pid, _ = notify.wait_for("READY")
        assert pid == n.pid, notify.messages
        reply = n.call({"op": "list"})  # accepts and answers at once
        assert reply == {"ok": True, "listeners": []}
    finally:
        n.stop()
        notify.close()


def test_node_sends_no_ready_when_the_control_socket_cannot_be_made(spawn_node, binary, workdir,
                                                                    notify):
    control = os.path.join(workdir, "missing-dir", "control.sock")
    n = spawn_node(binary, workdir, notify.env(), control=control)
    assert n.wait_exit(WAIT) == 1, n.log()
    n.stop()
    assert "control socket" in n.log()
    notify.drain()
    assert notify.count("READY") == 0, notify.messages


def test_node_stopping_on_sigterm_and_watchdog_pings(spawn_node, binary, workdir, notify):
    n = spawn_node(binary, workdir, notify.env(WATCHDOG_USEC=100_000), wrap_pid=True)
    try:
        notify.wait_for("READY")
        assert notify.wait_count("WATCHDOG", PINGS) >= PINGS, notify.messages
        assert {pid for pid, f in notify.messages if "WATCHDOG" in f} == {n.pid}
        n.signal(signal.SIGTERM)
        assert n.wait_exit(WAIT) == 0, n.log()
        pid, _ = notify.wait_for("STOPPING", timeout=0.1)
        assert pid == n.pid
    finally:
        n.stop()
