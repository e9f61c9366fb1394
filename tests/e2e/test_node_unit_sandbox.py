"""The node under the hardening of systemd/ns-metadata-proxy-node.service, without
systemd (these tests do not run under it as PID 1):

    unshare --mount --propagation slave        the service's own mount namespace,
      every mount remounted read-only          receiving the host's later mounts
        (but /proc, /sys, /dev)                 (ProtectSystem=strict)
      a fresh tmpfs on /tmp                    (PrivateTmp=yes)
      <tmp>/run bound writable                 (RuntimeDirectory=)
      setpriv --bounding-set <the unit's>      (CapabilityBoundingSet=,
              --no-new-privs                    NoNewPrivileges=yes)
        <the unit's ExecStart>, --user nobody --group nogroup instead of neutron

With that, as a DHCP agent would use it:
- READY=1 reaches a notify socket on the read-only file system (Type=notify);
- a namespace `ip netns add` creates after the node started is visible to it
  (mounts under /run/netns propagate into the service's namespace), a listener on
  port 80 there answers through the agent's socket, which also sits on the
  read-only file system (connect() needs no write access to the mount);
- every capability of the set is needed: without it, the step that uses it fails.

Not emulated: the seccomp filters (SystemCallFilter=, RestrictNamespaces=,
RestrictAddressFamilies=), PrivateDevices=, the Protect* of kernel interfaces.
Everything the test creates is removed on teardown, also on failure; processes are
ended by pid.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

import topology
from conftest import _pending_cleanups, binary_path
from topology import run

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness.upstream import Upstream  # noqa: E402

UNIT = os.path.join(HERE, "..", "..", "systemd", "ns-metadata-proxy-node.service")
WAIT = 10.0
CTL_TIMEOUT = 20
NETWORK_ID = "5b0c1e8a-6f2d-4a3b-8c9d-e0f1a2b3c4d5"

# Run inside the new mount namespace: make it look like the unit's, then exec the node.
SANDBOX = r"""
set -eu
runtime=$1; shift
mount --bind "$runtime" "$runtime"
awk '{ print $5 }' /proc/self/mountinfo | while read -r mp; do
  # API file systems stay writable, as under systemd; namespace files are read-only
  # anyway, and other tests add and delete them meanwhile.
  case "$mp" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|/run/netns/*|"$runtime") continue ;; esac
  mount -o remount,bind,ro "$mp"
done
mount -t tmpfs -o mode=1777 tmpfs /tmp
if touch /var/lib/.nsmp-sandbox-probe 2>/dev/null; then
  echo "sandbox: /var/lib is still writable" >&2
  exit 97
fi
exec "$@"
"""

pytestmark = pytest.mark.skipif(topology.netns_available() is not None or shutil.which("setpriv")
                                is None or shutil.which("unshare") is None,
                                reason=topology.netns_available() or "needs setpriv and unshare")


def unit_settings() -> dict[str, str]:
    """The [Service] keys of the unit, continuation lines joined."""
    with open(UNIT) as f:
        text = f.read().replace("\\\n", " ")
    settings = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z]+)=(.*)$", line.strip())
        if m:
            settings[m.group(1)] = m.group(2)
    return settings


def unit_capabilities() -> list[str]:
    return unit_settings()["CapabilityBoundingSet"].split()


def node_command(binary: str, control: str) -> list[str]:
    """The unit's ExecStart with our binary, control socket and an existing user."""
    args = shlex.split(unit_settings()["ExecStart"])
    assert args[0] == "/usr/sbin/ns-metadata-proxy", args
    out = [binary]
    i = 1
    while i < len(args):
        a = args[i]
        if a in ("--control", "--user", "--group"):
            value = {"--control": control, "--user": "nobody", "--group": "nogroup"}[a]
            out += [a, value]
            i += 2
            continue
        out.append(a)
        i += 1
    return out


class Sandbox:
    """A node started as the unit would start it, its agent, its namespaces."""

    def __init__(self, caps: list[str]):
        self.caps = caps
        # Not under /tmp: the sandbox has its own /tmp, as PrivateTmp= gives it.
        self.dir = tempfile.mkdtemp(prefix=f"nsmp-sandbox-{os.getpid()}-", dir="/var/lib")
        os.chmod(self.dir, 0o755)
        self.runtime = os.path.join(self.dir, "run")
        os.mkdir(self.runtime)
        self.control = os.path.join(self.runtime, "control.sock")
        self.agent_sock = os.path.join(self.dir, "agent.sock")
        self.log_path = os.path.join(self.dir, "node.log")
        self.agent = Upstream(self.agent_sock).start()  # mode 0777: nobody connects
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify_path = os.path.join(self.dir, "notify.sock")
        self.notify.bind(self.notify_path)
        os.chmod(self.notify_path, 0o777)
        self.proc = None
        self.netns: list[str] = []

    def start(self, binary: str) -> None:
        # On a systemd host / is a shared mount, so even the first `ip netns add`
        # after the start propagates into the service. In a container / may be
        # private: then only mounts under a /run/netns that is already the shared
        # mount point iproute2 makes on first use propagate. Make sure it is.
        probe = f"{topology.VM_PREFIX}{os.getpid()}-sbx-probe"
        run(["ip", "netns", "add", probe])
        run(["ip", "netns", "delete", probe])
        bounding = ",".join(["-all"] + ["+" + c.lower().removeprefix("cap_") for c in self.caps])
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path)
        cmd = ["unshare", "--mount", "--propagation", "slave", "sh", "-c", SANDBOX, "sandbox",
               self.runtime, "setpriv", f"--bounding-set={bounding}", "--no-new-privs", "--",
               *node_command(binary, self.control), "--debug"]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log, env=env)

    def wait_ready(self) -> bool:
        """True on READY=1; False if the node exited first."""
        deadline = time.monotonic() + WAIT
        self.notify.settimeout(0.1)
        while time.monotonic() < deadline:
            try:
                if b"READY=1" in self.notify.recv(4096).split(b"\n"):
                    return True
            except socket.timeout:
                pass
            if self.proc.poll() is not None:
                return False
        raise AssertionError(f"no READY=1 within {WAIT}s:\n{self.output()}")

    def output(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def add_netns(self) -> str:
        name = f"{topology.VM_PREFIX}{os.getpid()}-sbx-{secrets.token_hex(3)}"
        run(["ip", "netns", "add", name])
        self.netns.append(name)
        run(["ip", "-n", name, "link", "set", "lo", "up"])
        return name

    def ctl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([binary_path(), "ctl", "--control", self.control, *args],
                              capture_output=True, text=True, timeout=CTL_TIMEOUT)

    def add_listener(self, ns: str) -> subprocess.CompletedProcess:
        return self.ctl("add", "--netns", ns, "--network_id", NETWORK_ID, "--bind_host",
                        "127.0.0.1", "--metadata_port", "80", "--metadata_proxy_socket",
                        self.agent_sock)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc is not None:
            self.log.close()
        for ns in self.netns:
            topology.delete_netns(ns)
        self.netns = []
        self.agent.stop()
        self.notify.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def sandbox_factory():
    made = []

    def make(caps):
        s = Sandbox(caps)
        made.append(s)
        _pending_cleanups.append(s.close)
        return s

    yield make
    for s in made:
        s.close()
        if s.close in _pending_cleanups:
            _pending_cleanups.remove(s.close)


def test_node_serves_a_later_namespace_with_only_the_units_capabilities(sandbox_factory):
    s = sandbox_factory(unit_capabilities())
    s.start(binary_path())
    assert s.wait_ready(), f"the node exited {s.proc.returncode}:\n{s.output()}"
    ns = s.add_netns()  # after the node started: must propagate into its mount namespace
    added = s.add_listener(ns)
    assert added.returncode == 0, f"{added.stderr}\n{s.output()}"
    curl = subprocess.run(["ip", "netns", "exec", ns, "curl", "-sS", "--max-time", "10",
                           "-w", "\n%{http_code}", "http://127.0.0.1/latest/meta-data/"],
                          capture_output=True, text=True, timeout=20)
    assert curl.stdout.endswith("\n200"), f"{curl.stdout!r} {curl.stderr}\n{s.output()}"
    request = s.agent.wait_request(0)
    assert f"X-Neutron-Network-ID: {NETWORK_ID}".encode() in request, request
    # Served without privileges: the node is nobody now, its helper still root.
    with open(f"/proc/{s.proc.pid}/status") as f:
        uid = re.search(r"^Uid:\s+(\d+)", f.read(), re.M).group(1)
    assert int(uid) == int(run(["id", "-u", "nobody"]).stdout)


@pytest.mark.parametrize("missing, failure", [
    ("CAP_SYS_ADMIN", r"netns .*Operation not permitted"),
    ("CAP_NET_BIND_SERVICE", r"cannot listen on 127\.0\.0\.1:80.*Permission denied"),
    ("CAP_SETUID", r"Operation not permitted"),
    ("CAP_SETGID", r"Operation not permitted"),
])
def test_each_capability_of_the_unit_is_needed(sandbox_factory, missing, failure):
    caps = unit_capabilities()
    assert missing in caps, f"{missing} is no longer in the unit's CapabilityBoundingSet"
    s = sandbox_factory([c for c in caps if c != missing])
    s.start(binary_path())
    if not s.wait_ready():
        # The privilege drop happens before READY=1: the node cannot start at all.
        assert missing in ("CAP_SETUID", "CAP_SETGID"), s.output()
        assert s.proc.returncode == 1 and re.search(failure, s.output()), s.output()
        return
    assert missing in ("CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE"), (
        f"the node started without {missing}:\n{s.output()}")
    added = s.add_listener(s.add_netns())
    assert added.returncode == 1 and re.search(failure, added.stderr), (added, s.output())
