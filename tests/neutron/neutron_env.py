"""The pieces the Neutron suite is made of: the drop-in, rootwrap's config, agent
processes (agent_sim.py), their namespaces, and checks on what the proxy sent.

Everything runs as root. Names of namespaces carry the pid of the run (e2e's
topology rules), so a later run sweeps what a killed one left.
"""

from __future__ import annotations

import configparser
import functools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
for _dir in (os.path.join(TESTS, "e2e"), os.path.join(TESTS, "integration")):
    if _dir not in sys.path:
        sys.path.insert(0, _dir)

import topology  # noqa: E402
from procs import Daemon, pid_alive  # noqa: E402

DEBIAN_PYTHON = "/usr/bin/python3"  # python3-neutron is installed for it
DEBIAN_ROOTWRAP_CONF = "/etc/neutron/rootwrap.conf"
ROOTWRAP = "/usr/bin/neutron-rootwrap"
AGENT_SIM = os.path.join(HERE, "agent_sim.py")
DEFAULT_BINARY = os.path.join(TESTS, "..", "build", "src", "app", "ns-metadata-proxy")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
WAIT = 30  # seconds for anything Neutron does (rootwrap + privsep are slow on 2 loaded cores)
# oslo.log's defaults, less the lock chatter of the process monitor's 1 s checks.
LOG_LEVELS = ("amqp=WARN,amqplib=WARN,oslo.messaging=INFO,oslo_messaging=INFO,iso8601=WARN,"
              "urllib3.connectionpool=WARN,stevedore=WARN,oslo_concurrency.lockutils=WARN,"
              "pyroute2=INFO,ovsdbapp=INFO")
# The DHCP agent on the dual-stack host has enable_metadata_network on: it changes
# nothing for a network without a 169.254/16 subnet and a router port (Dnsmasq's
# should_enable_metadata), so one agent serves both DHCP dual-stack shapes.
DHCP_V6_OPTIONS = {"DEFAULT": {"enable_metadata_network": "True"}}
IDENTITY_HEADERS = ("x-neutron-router-id", "x-neutron-network-id", "x-ovn-network-id")


def binary_path() -> str:
    return os.path.realpath(os.environ.get("NSMP_BINARY", DEFAULT_BINARY))


@functools.lru_cache(maxsize=None)
def missing_prerequisite() -> str | None:
    """None when the suite can run here, else why not (the suite skips with it)."""
    why = topology.netns_available()
    if why:
        return why
    if not os.access(binary_path(), os.X_OK):
        return f"no ns-metadata-proxy binary at {binary_path()} (build it, or set NSMP_BINARY)"
    for path in (DEBIAN_PYTHON, ROOTWRAP, DEBIAN_ROOTWRAP_CONF):
        if not os.path.exists(path):
            return f"{path} is missing: run scripts/install-deps.sh (python3-neutron, neutron-common)"
    probe = subprocess.run([DEBIAN_PYTHON, "-c", "import neutron.agent.metadata.driver, "
                            "neutron.agent.ovn.metadata.driver"], capture_output=True, text=True,
                           timeout=60)
    if probe.returncode != 0:
        return f"Debian's Neutron does not import: {probe.stderr.strip()[-300:]}"
    return None


def wait_for(predicate, what: str, timeout: float = WAIT, describe=lambda: ""):
    """Polls `predicate` until it returns something true; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{describe()}")
        time.sleep(0.05)


def public_dir(prefix: str) -> str:
    """A temp dir every user can traverse (the proxy may run as nobody)."""
    path = tempfile.mkdtemp(prefix=f"nsmp-neutron-{os.getpid()}-{prefix}-")
    os.chmod(path, 0o755)
    return path


class DropIn:
    """This binary installed as `haproxy` in a directory of its own."""

    def __init__(self, binary: str):
        self.binary = binary
        self.dir = public_dir("bin")
        self.haproxy = os.path.join(self.dir, "haproxy")
        os.symlink(binary, self.haproxy)
        # The agents' PATH: the drop-in first, as docs/haproxy.md says to install it.
        self.env = {**os.environ, "PATH": f"{self.dir}:{SYSTEM_PATH}"}
        self.env.pop("PYTHONPATH", None)

    def is_ours(self, pid: int) -> bool:
        """True when `pid` runs this binary (not /usr/sbin/haproxy)."""
        try:
            return os.path.realpath(f"/proc/{pid}/exe") == self.binary
        except OSError:
            return False


def write_rootwrap_conf(path: str, first_exec_dirs: list[str], drop_dirs=()) -> str:
    """Debian's /etc/neutron/rootwrap.conf (its filters_path: Debian's filters), with
    `first_exec_dirs` put before its exec_dirs and `drop_dirs` removed from them."""
    conf = configparser.RawConfigParser()
    conf.read(DEBIAN_ROOTWRAP_CONF)
    dirs = [d.strip() for d in conf.get("DEFAULT", "exec_dirs").split(",")]
    dirs = first_exec_dirs + [d for d in dirs if d not in drop_dirs]
    conf.set("DEFAULT", "exec_dirs", ",".join(dirs))
    with open(path, "w") as f:
        conf.write(f)
    return path


class HostNamespace:
    """A namespace an agent runs in, so that oslo's netutils.is_ipv6_enabled() (which
    reads /proc/sys/net/ipv6/conf/default/disable_ipv6, per namespace) gives the
    answer the test wants: a dual-stack host or an IPv4-only one."""

    def __init__(self, ipv6: bool):
        self.name = f"{topology.VM_PREFIX}{os.getpid()}-{'v6' if ipv6 else 'v4'}host"
        topology.run(["ip", "netns", "add", self.name])
        topology.run(["ip", "netns", "exec", self.name, "sysctl", "-q", "-w",
                      f"net.ipv6.conf.default.disable_ipv6={0 if ipv6 else 1}"])

    def destroy(self):
        topology.delete_netns(self.name)


def session_members(sid: int) -> list[int]:
    """Pids whose session is `sid` (what a process started with start_new_session left)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and int(entry) != sid:
            out.append(int(entry))
    return out


class Agent:
    """One agent_sim.py process: a Neutron agent of `kind` with its own config file."""

    KIND_OPTIONS = {
        "l3": {"DEFAULT": {"interface_driver": "openvswitch"}},
        "dhcp": {"DEFAULT": {"interface_driver": "openvswitch",
                             "enable_isolated_metadata": "True"}},
        "ovn": {},
    }

    def __init__(self, kind: str, workdir: str, dropin: DropIn, rootwrap_conf: str,
                 host_ns: HostNamespace, agent_socket: str, options: dict | None = None):
        self.kind = kind
        self.workdir = workdir
        self.dropin = dropin
        self.state_path = os.path.join(workdir, "state")
        self.log_path = os.path.join(workdir, f"agent-{kind}.log")
        self.control = os.path.join(workdir, "control.sock")
        self.conf_path = os.path.join(workdir, f"{kind}.conf")
        self.agent_socket = agent_socket
        sections = {
            "DEFAULT": {"host": f"nsmp-neutron-{os.getpid()}", "state_path": self.state_path,
                        "debug": "True", "log_file": self.log_path,
                        "default_log_levels": LOG_LEVELS,
                        "metadata_proxy_socket": agent_socket},
            # The process monitor checks every second instead of every 60 (bounded waits).
            "AGENT": {"root_helper": f"{ROOTWRAP} {rootwrap_conf}",
                      "check_child_processes_interval": "1",
                      "check_child_processes_action": "respawn"},
            "oslo_concurrency": {"lock_path": os.path.join(workdir, "lock")},
        }
        for extra in (self.KIND_OPTIONS[kind], options or {}):
            for section, values in extra.items():
                sections.setdefault(section, {}).update(values)
        conf = configparser.RawConfigParser()
        for section, values in sections.items():
            if section != "DEFAULT":
                conf.add_section(section)
            for k, v in values.items():
                conf.set(section, k, v)
        with open(self.conf_path, "w") as f:
            conf.write(f)
        args = ["ip", "netns", "exec", host_ns.name, DEBIAN_PYTHON, AGENT_SIM, "--kind", kind,
                "--control", self.control, "--", "--config-file", self.conf_path]
        self.daemon = Daemon(f"agent-{kind}", args, os.path.join(workdir, f"agent-{kind}.out"),
                             env=dropin.env)

    def wait_ready(self) -> None:
        """Until it answers, with its privsep daemon started."""
        self.daemon.wait_for_unix_socket(self.control, timeout=120)
        self.call("warm", timeout=120)

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def describe(self) -> str:
        tail = "\n".join(self.log().splitlines()[-60:])
        return f"{self.daemon.describe()}\n--- {self.log_path} tail ---\n{tail}"

    def call(self, op: str, timeout: float = 60, **args) -> dict:
        """Runs one request in the agent; fails the test with its traceback if it raised."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            try:
                s.connect(self.control)
            except OSError as e:
                raise AssertionError(f"the agent does not answer ({e})\n{self.describe()}")
            s.sendall(json.dumps({"op": op, **args}).encode() + b"\n")
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    raise AssertionError(f"agent closed the control connection on {op}\n"
                                         f"{self.describe()}")
                buf += chunk
        reply = json.loads(buf)
        if not reply.pop("ok"):
            raise AssertionError(f"{op} {args} raised in the agent:\n{reply['error']}\n"
                                 f"{self.describe()}")
        return reply

    def process(self, uuid: str, namespace: str) -> dict:
        """What Neutron's ProcessManager sees: pid_file, pid, active, cmdline."""
        return self.call("process", uuid=uuid, namespace=namespace)

    def wait_active(self, uuid: str, namespace: str, other_than: int | None = None) -> dict:
        """Until Neutron sees the proxy active (with a pid other than `other_than`)."""

        def active():
            p = self.process(uuid, namespace)
            return p if p["active"] and p["pid"] != other_than else None

        return wait_for(active, f"Neutron to see the proxy for {uuid} active",
                        describe=self.describe)

    def stop(self):
        """Ends the agent and whatever it started in its session (rootwrap, privsep)."""
        self.daemon.stop()
        for pid in session_members(self.daemon.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def kill_proxy(pid_file: str, uuid: str) -> None:
    """Teardown: ends the proxy of `uuid` if it still runs (pid from its pid file,
    checked against its cmdline so a reused pid is never hit)."""
    try:
        with open(pid_file) as f:
            pid = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().decode(errors="replace")
    except OSError:
        return
    if uuid in cmdline:
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not pid_alive(pid), f"pid {pid} to end", timeout=10)


# -- what reached the agent's socket --------------------------------------------------


def header_lines(raw: bytes) -> list[tuple[str, str]]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    out = []
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        out.append((name, value.strip()))
    return out


def unmapped(address: str) -> str:
    """An IPv4-mapped IPv6 address as its IPv4 form (the agent does the same)."""
    return address[7:] if address.lower().startswith("::ffff:") and "." in address else address


def assert_one_identity(raw: bytes, header: str, value: str, client: str) -> None:
    """Exactly one identity header (the expected one, with the value) and exactly one
    X-Forwarded-For naming the client, whatever the VM sent."""
    lines = header_lines(raw)
    identities = [(n, v) for n, v in lines
                  if n.lower().replace("_", "-") in IDENTITY_HEADERS]
    assert identities == [(header, value)] or [(n.lower(), v) for n, v in identities] == [
        (header.lower(), value)], f"identity headers at the agent: {identities}\n{raw[:1500]!r}"
    xff = [v for n, v in lines if n.lower().replace("_", "-") == "x-forwarded-for"]
    assert len(xff) == 1 and unmapped(xff[0]) == client, (
        f"X-Forwarded-For at the agent: {xff}, expected one naming {client}\n{raw[:1500]!r}")
    for name in ("forwarded", "x-real-ip"):
        assert not [n for n, _ in lines if n.lower() == name], f"{name} reached the agent: {raw!r}"


SPOOF_HEADERS = (
    "X-Forwarded-For: 198.51.100.7",
    "X-Neutron-Router-ID: 00000000-0000-4000-8000-000000000001",
    "X-Neutron-Network-ID: 00000000-0000-4000-8000-000000000002",
    "X-OVN-Network-ID: 00000000-0000-4000-8000-000000000003",
    "X_Neutron_Network_ID: 00000000-0000-4000-8000-000000000004",
    "Forwarded: for=198.51.100.8",
    "X-Real-IP: 198.51.100.9",
)


def curl(vm, url: str, headers=SPOOF_HEADERS, timeout: float = 10, extra=()) -> tuple[int, bytes]:
    """One request from inside the VM's namespace: (HTTP status, body)."""
    args = ["timeout", str(timeout + 5), "curl", "-sS", "-g", "--max-time", str(timeout),
            "-o", "-", "-w", "\n%{http_code}", *extra]
    for h in headers:
        args += ["-H", h]
    proc = subprocess.run(vm.exec_args(*args, url), capture_output=True, timeout=timeout + 10)
    if proc.returncode != 0:
        raise AssertionError(f"curl {url} from {vm.name} failed ({proc.returncode}): "
                             f"{proc.stderr.decode(errors='replace').strip()}")
    body, _, code = proc.stdout.rpartition(b"\n")
    return int(code), body


def listening(namespace: str, port: int) -> bool:
    """True while something listens on TCP `port` inside `namespace`."""
    out = topology.run(["ip", "netns", "exec", namespace, "ss", "-Hltn", f"sport = :{port}"]).stdout
    return bool(out.strip())


def eui64_link_local(mac: str) -> str:
    """The kernel's (and Neutron's) IPv6 link-local address for a MAC."""
    b = [int(x, 16) for x in mac.split(":")]
    b[0] ^= 0x02
    words = [b[0] << 8 | b[1], b[2] << 8 | 0xFF, 0xFE << 8 | b[3], b[4] << 8 | b[5]]
    return "fe80::" + ":".join(f"{w:x}" for w in words)


def give_link_local(vm) -> str:
    """Replaces the VM's tentative link-local address by its EUI-64 one without DAD
    (usable at once); returns it."""
    address = eui64_link_local(vm.mac)
    topology.run(["ip", "-n", vm.name, "-6", "addr", "flush", "dev", "eth0", "scope", "link"])
    topology.run(["ip", "-n", vm.name, "-6", "addr", "add", f"{address}/64", "dev", "eth0",
                  "nodad"])
    return address


def read_file(path: str) -> str:
    with open(path) as f:
        return f.read()


def config_lines(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", line.strip()) for line in text.splitlines() if line.strip()]


def config_value(text: str, directive: str) -> str:
    """The argument of the first `directive` line of an haproxy config."""
    for line in config_lines(text):
        name, _, value = line.partition(" ")
        if name == directive:
            return value
    raise AssertionError(f"no `{directive}` line in\n{text}")
