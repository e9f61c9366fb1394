"""Syslog as Neutron asks for it: the facility and tag that reach /dev/log.

Neutron's haproxy config says `log /dev/log local0 info` and `log-tag haproxy-metadata-proxy-<uuid>`
(haproxy then sends local0.info, PRI <134>); the 2017 command line says `--use-syslog
--syslog-log-facility <facility>` (oslo.log's default LOG_USER). Regression: the facility
was parsed but never given to openlog(), so every line arrived as daemon.info, <30>.

Each process runs in a private mount namespace whose /dev is a tmpfs of the test's own
(null, zero, urandom, and /dev/log a link to a SOCK_DGRAM socket the test reads), so the
host's /dev is untouched and no system syslog daemon is needed. Real haproxy, run the same
way from the same file, shows what an operator's syslog sees today.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

import haproxy_diff_helpers as h
from harness import proxy as proxy_mod
from harness import wire

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for a private mount namespace"),
    pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)"),
]

# RFC 3164 as glibc's syslog(3) and haproxy (log-format rfc3164) send it to /dev/log.
MESSAGE = re.compile(r"^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d (\S+?)\[(\d+)\]: (.*)$", re.S)
LOCAL0, LOCAL3, USER, DAEMON = 16, 19, 1, 3
INFO, DEBUG = 6, 7

PRIVATE_DEV = r"""
set -e
mount -t tmpfs -o mode=0755,size=64k nsmp-test-dev /dev
mknod -m 0666 /dev/null c 1 3
mknod -m 0666 /dev/zero c 1 5
mknod -m 0666 /dev/urandom c 1 9
ln -s "$NSMP_TEST_LOG_SOCKET" /dev/log
exec "$@"
"""


class SyslogSink:
    """A SOCK_DGRAM UNIX socket standing in for /dev/log; keeps every message it gets."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)  # the proxy may log after dropping privileges
        self.sock.settimeout(0.1)
        self.messages = []  # (pri, tag, pid, text)
        self.raw = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            text = data.decode("utf-8", "replace")
            self.raw.append(text)
            m = MESSAGE.match(text.rstrip("\n"))
            if m:
                self.messages.append((int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)))

    def wait(self, pattern, timeout=10.0):
        """The first message whose text matches `pattern`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for msg in list(self.messages):
                if regex.search(msg[3]):
                    return msg
            time.sleep(0.02)
        raise AssertionError(f"no syslog message matching {pattern!r}; got:\n" + "\n".join(self.raw))

    def close(self):
        self.stopping.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def sink(workdir):
    s = SyslogSink(os.path.join(workdir, "devlog.sock"))
    yield s
    s.close()


class PrivateDevProcess:
    """argv run by `unshare -m` with the private /dev above; stopped by pid at the end."""

    def __init__(self, argv, sink, workdir, name):
        env = dict(os.environ, NSMP_TEST_LOG_SOCKET=sink.path)
        self.out_path = os.path.join(workdir, f"{name}.out")
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", PRIVATE_DEV, "sh",
             *argv], env=env, stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.out)
        self.extra_pids = []

    def output(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        for pid in [self.proc.pid, *self.extra_pids]:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        for pid in self.extra_pids:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
                time.sleep(0.02)
            if os.path.exists(f"/proc/{pid}"):
                os.kill(pid, signal.SIGKILL)
        self.out.close()


@pytest.fixture
def run_private(workdir, sink):
    started = []

    def run(argv, name="proc"):
        p = PrivateDevProcess(argv, sink, workdir, name)
        started.append(p)
        return p

    yield run
    for p in started:
        p.stop()


def get(port):
    with wire.Client(port) as c:
        return c.request(b"GET /latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n")


def listening_port(sink):
    text = sink.wait(r"listening on 127\.0\.0\.1:\d+")[3]
    return int(re.search(r"listening on 127\.0\.0\.1:(\d+)", text).group(1))


@pytest.mark.parametrize("facility_args,facility", [
    (["--syslog-log-facility", "local0"], LOCAL0),
    (["--syslog-log-facility=LOG_LOCAL3"], LOCAL3),
    (["--syslog-log-facility", "LOG_DAEMON"], DAEMON),
    ([], USER),  # oslo.log's default syslog_log_facility
], ids=["local0", "LOG_LOCAL3", "LOG_DAEMON", "default-user"])
def test_neutron_command_line_facility_and_tag(binary, workdir, upstream, sink, run_private,
                                              facility_args, facility):
    args = proxy_mod.neutron_args(workdir, upstream.path)
    run_private([binary, *args, "--use-syslog", *facility_args], name="proxy")
    assert get(listening_port(sink)).status == 200
    pri, tag, pid, text = sink.wait(r'access \S+ "GET /latest/meta-data/ HTTP/1\.1" 200')
    assert (pri, tag) == (facility * 8 + INFO, f"ns-metadata-proxy-{proxy_mod.NETWORK_ID}"), text
    assert os.path.exists(f"/proc/{pid}"), "the tag's pid is the serving process"


def neutron_haproxy_config(workdir, port, socket_path, level="info"):
    text = h.neutron_config(port, socket_path)
    text = text.replace("log         /dev/log local0 info", f"log         /dev/log local0 {level}")
    path = os.path.join(workdir, f"{h.NETWORK_ID}.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def test_haproxy_config_local0_info_as_real_haproxy(binary, workdir, upstream, sink, run_private):
    """Both from the same Neutron config: the request's log line is local0.info (<134>) with
    the log-tag, from real haproxy as from the drop-in."""
    expected_tag = f"haproxy-metadata-proxy-{h.NETWORK_ID}"
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if os.path.exists(haproxy) and os.path.realpath(haproxy) != os.path.realpath(binary):
        port = h.free_port()
        run_private([haproxy, "-db", "-f", neutron_haproxy_config(workdir, port, upstream.path)],
                    name="haproxy")
        _wait_port(port)
        assert get(port).status == 200
        pri, tag, _, text = sink.wait(r"GET /latest/meta-data/ HTTP/1\.1")
        assert (pri, tag) == (LOCAL0 * 8 + INFO, expected_tag), text
        sink.messages.clear()
        sink.raw.clear()

    port = h.free_port()
    run_private([binary, "-db", "-f", neutron_haproxy_config(workdir, port, upstream.path)],
                name="drop-in")
    _wait_port(port)
    assert get(port).status == 200
    pri, tag, pid, text = sink.wait(r'access \S+ "GET /latest/meta-data/ HTTP/1\.1" 200')
    assert (pri, tag) == (LOCAL0 * 8 + INFO, expected_tag), text
    # Every line of the drop-in goes to local0, none to the old daemon facility.
    assert {p >> 3 for p, *_ in sink.messages} == {LOCAL0}, sink.raw


def test_haproxy_config_daemon_mode_logs_with_the_daemons_pid(binary, workdir, upstream, sink,
                                                             run_private):
    """As Neutron runs it: `daemon` in the config, the launcher exits once listening; the lines
    come from the daemon, whose pid is in the pidfile and in the tag."""
    port = h.free_port()
    pidfile = os.path.join(workdir, "proxy.pid")
    p = run_private([binary, "-f", neutron_haproxy_config(workdir, port, upstream.path),
                     "-p", pidfile], name="daemon")
    assert p.proc.wait(10) == 0, p.output()
    with open(pidfile) as f:
        daemon_pid = int(f.read().split()[0])
    p.extra_pids.append(daemon_pid)
    assert get(port).status == 200
    pri, tag, pid, text = sink.wait(r'access \S+ "GET /latest/meta-data/ HTTP/1\.1" 200')
    assert (pri, tag, pid) == (LOCAL0 * 8 + INFO, f"haproxy-metadata-proxy-{h.NETWORK_ID}",
                               daemon_pid), text


@pytest.mark.parametrize("level", ["info", "debug"])
def test_haproxy_config_level(binary, workdir, sink, run_private, level):
    """`local0 debug` adds local0.debug (<135>) lines; `local0 info` has none. The agent's
    socket is missing so that the engine logs its connect attempts at debug level."""
    port = h.free_port()
    missing = os.path.join(workdir, "no-agent.sock")
    run_private([binary, "-db", "-f", neutron_haproxy_config(workdir, port, missing, level)],
                name=f"level-{level}")
    _wait_port(port)
    assert get(port).status == 503
    sink.wait(r'access \S+ "GET /latest/meta-data/ HTTP/1\.1" 503')
    pris = {p for p, *_ in sink.messages}
    if level == "debug":
        assert LOCAL0 * 8 + DEBUG in pris, sink.raw
        assert any(p == LOCAL0 * 8 + DEBUG and "attempt" in t for p, _, _, t in sink.messages)
    else:
        assert LOCAL0 * 8 + DEBUG not in pris, sink.raw
    assert all(p >> 3 == LOCAL0 for p in pris), sink.raw


def _wait_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")
