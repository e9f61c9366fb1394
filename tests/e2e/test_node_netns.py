"""One `ns-metadata-proxy node` serving the metadata proxy of several namespaces
(docs/node.md), as a DHCP agent and an L3 agent would use it.

    VM ns nsmp-e2e-<pid>-nodeA-…  eth0 192.0.2.21/24    ─veth─ qdhcp-<net A> ns-… 192.0.2.2/24
    VM ns nsmp-e2e-<pid>-nodeB-…  eth0 198.51.100.22/24 ─veth─ qdhcp-<net B> ns-… 198.51.100.2/24
    VM ns nsmp-e2e-<pid>-nodeC-…  eth0 192.0.2.23/24    ─veth─ qdhcp-<net C> ns-… 192.0.2.2/24
      (route 169.254.169.254 via the DHCP port)              each port also holds 169.254.169.254/32
                                                             (C overlaps A's subnet, as two
                                                              tenants' networks do)

    one `ns-metadata-proxy node --nodaemonize --control <tmp>/control.sock` in the host
    namespace; per network, over its control socket:
        ctl add --netns qdhcp-<id> --network_id <id> --bind_host 169.254.169.254
                --metadata_port 80 --metadata_proxy_socket <tmp>/agent.sock
    so the SAME address and port, 169.254.169.254:80, is served in all three namespaces.

    the agent: tests/integration/harness/upstream.py's scripted UNIX-socket server in the
    host namespace, answering 200 "ok" and recording the exact bytes of every request.

Every test builds its own node, agent and namespaces and removes them in a finalizer
(also registered with conftest's pending cleanups, so an interrupted run removes them
too); names carry our pid so topology.sweep_leftovers() deletes what a killed run
left. Processes are ended by pid; every subprocess call is bounded.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass

import pytest

import topology
from conftest import SANITIZER_MARK, _pending_cleanups, binary_path
from procs import Daemon, pid_alive
from topology import METADATA_IP, run

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness.upstream import Upstream, response, wait_then_reply  # noqa: E402

CURL_TIMEOUT = 10
CTL_TIMEOUT = 20
WAIT = 5.0  # bounded waits for things that follow a reply (counters, log lines)

# (subnet prefix, VM host number) of the three DHCP-shaped networks.
NETWORK_SHAPES = {"A": ("192.0.2.", 21), "B": ("198.51.100.", 22), "C": ("192.0.2.", 23)}


def make_uuid() -> str:
    """A network or router id shaped like topology's: marked as ours, our pid last,
    so sweep_leftovers() recognises qdhcp-/qrouter- namespaces named after it."""
    r = secrets.token_hex
    return f"{topology.ID_MARK}-{r(2)}-4{r(2)[:3]}-8{r(2)[:3]}-{os.getpid():012d}"


@dataclass
class Network:
    tag: str
    network_id: str
    ns: str  # qdhcp-<network id>
    vm: topology.Vm


@dataclass
class Ctl:
    rc: int
    stdout: str
    stderr: str

    @property
    def reply(self) -> dict:
        return json.loads(self.stdout)


class Env:
    """One node, one agent, and the namespaces a test builds."""

    def __init__(self, workdir: str, user: str | None = None):
        self.workdir = workdir  # logs
        # With a user, the node serves as that user and a root helper opens sockets.
        self.user = user
        # Sockets in a short directory of their own (sun_path is 108 bytes at most).
        self.sockdir = tempfile.mkdtemp(prefix="nsmp-node-")
        self.control = os.path.join(self.sockdir, "control.sock")
        self.agent_sock = os.path.join(self.sockdir, "agent.sock")
        self.binary = binary_path()
        self.made: list[str] = []  # namespaces still to delete
        self.topologies: list[topology.Topology] = []
        self.networks: dict[str, Network] = {}
        self.node: Daemon | None = None
        self.agent: Upstream | None = None

    # -- building -------------------------------------------------------------
    def start(self) -> None:
        self.agent = Upstream(self.agent_sock).start()
        as_user = []
        if self.user:
            # The unprivileged node must reach the agent's socket, as Neutron's user does.
            os.chmod(self.sockdir, 0o755)
            os.chmod(self.agent_sock, 0o777)
            as_user = ["--user", self.user, "--group", "nogroup"]
        self.node = Daemon("node", [self.binary, "node", "--nodaemonize", "--control",
                                    self.control, "--debug", *as_user],
                           os.path.join(self.workdir, "node.log"))
        self.node.wait_for_unix_socket(self.control)

    def _netns(self, name: str) -> None:
        run(["ip", "netns", "add", name])
        self.made.append(name)
        run(["ip", "-n", name, "link", "set", "lo", "up"])

    def add_qdhcp(self, tag: str) -> Network:
        """A DHCP agent's namespace for an isolated network, and one VM on it."""
        prefix, host = NETWORK_SHAPES[tag]
        net_id = make_uuid()
        ns = f"qdhcp-{net_id}"
        port = "ns-" + secrets.token_hex(4) + "-" + secrets.token_hex(1)
        self._netns(ns)
        run(["ip", "-n", ns, "link", "add", port, "type", "bridge"])
        run(["ip", "-n", ns, "addr", "add", f"{prefix}2/24", "dev", port])
        run(["ip", "-n", ns, "addr", "add", f"{METADATA_IP}/32", "dev", port])
        run(["ip", "-n", ns, "link", "set", port, "up"])
        vm_name = f"{topology.VM_PREFIX}{os.getpid()}-node{tag}-{secrets.token_hex(3)}"
        ip = f"{prefix}{host}"
        mac = f"fa:16:3e:e2:e1:{host:02x}"
        self._netns(vm_name)
        tap = f"tap{port[3:11]}-1"
        run(["ip", "-n", ns, "link", "add", tap, "type", "veth", "peer", "name", "eth0",
             "address", mac, "netns", vm_name])
        run(["ip", "-n", ns, "link", "set", tap, "master", port, "up"])
        run(["ip", "-n", vm_name, "addr", "add", f"{ip}/24", "dev", "eth0"])
        run(["ip", "-n", vm_name, "link", "set", "eth0", "up"])
        run(["ip", "-n", vm_name, "route", "add", f"{METADATA_IP}/32", "via", f"{prefix}2"])
        net = Network(tag, net_id, ns, topology.Vm(name=vm_name, ip=ip, mac=mac, index=host))
        self.networks[tag] = net
        return net

    def add_qrouter(self) -> topology.Topology:
        """An L3 agent's router namespace (NAT REDIRECT 169.254.169.254:80 -> 9697) and one VM."""
        topo = topology.Topology.make_names("qrouter")
        self.topologies.append(topo)
        topo.build_service()
        topo.add_vm()
        return topo

    # -- the node ---------------------------------------------------------------
    def ctl(self, *args: str) -> Ctl:
        proc = subprocess.run([self.binary, "ctl", "--control", self.control, *args],
                              capture_output=True, text=True, timeout=CTL_TIMEOUT)
        return Ctl(proc.returncode, proc.stdout, proc.stderr)

    def add_args(self, net: Network, netns: str | None = None) -> list[str]:
        return ["add", "--netns", netns or net.ns, "--network_id", net.network_id,
                "--bind_host", METADATA_IP, "--metadata_port", "80",
                "--metadata_proxy_socket", self.agent_sock]

    def add(self, net: Network) -> dict:
        c = self.ctl(*self.add_args(net))
        assert c.rc == 0, f"ctl add for {net.ns} exited {c.rc}: {c.stderr}\n{self.diagnostics()}"
        reply = c.reply
        assert reply.get("ok") is True, reply
        assert reply.get("uuid") == net.network_id, reply
        assert reply.get("netns") == net.ns, reply
        assert reply.get("listening") == f"{METADATA_IP}:80", reply
        assert reply.get("warnings") == [], reply
        return reply

    def listeners(self) -> dict[str, dict]:
        c = self.ctl("list")
        assert c.rc == 0, f"ctl list exited {c.rc}: {c.stderr}\n{self.diagnostics()}"
        reply = c.reply
        assert reply.get("ok") is True, reply
        by_uuid = {entry["uuid"]: entry for entry in reply["listeners"]}
        assert len(by_uuid) == len(reply["listeners"]), f"a uuid listed twice: {reply}"
        return by_uuid

    def diagnostics(self) -> str:
        return self.node.describe() if self.node else "(no node)"

    # -- asking from inside a VM --------------------------------------------------
    def curl(self, vm: topology.Vm, path: str, headers: tuple = ()) -> subprocess.CompletedProcess:
        args = ["timeout", str(CURL_TIMEOUT + 5), "curl", "-sS", "--max-time", str(CURL_TIMEOUT),
                "-w", "\n%{http_code}"]
        for h in headers:
            args += ["-H", h]
        return subprocess.run(vm.exec_args(*args, f"http://{METADATA_IP}{path}"),
                              capture_output=True, text=True, timeout=CURL_TIMEOUT + 10)

    def served(self, vm: topology.Vm, headers: tuple = ()) -> list[tuple[str, str]]:
        """GETs a unique path from `vm`; asserts the agent's 200 "ok" came back and
        returns the headers of the request the agent received for it."""
        token = uuid.uuid4().hex
        path = f"/openstack/latest/meta_data.json/{token}"
        proc = self.curl(vm, path, headers)
        assert proc.returncode == 0, (f"curl from {vm.name} failed ({proc.returncode}): "
                                      f"{proc.stderr.strip()}\n{self.diagnostics()}")
        body, _, code = proc.stdout.rpartition("\n")
        assert (code, body) == ("200", "ok"), f"{vm.name} got {code} {body!r}\n{self.diagnostics()}"
        mine = [r for r in self.agent.received if f" {path} HTTP/1.".encode() in r.split(b"\r\n", 1)[0]]
        assert len(mine) == 1, f"the agent got {len(mine)} requests for {path}"
        return parse_headers(mine[0])

    def connect(self, vm: topology.Vm) -> str:
        """A TCP connect from `vm` to 169.254.169.254:80: "connected" or the errno's name."""
        proc = subprocess.run(vm.exec_args("timeout", "10", "/usr/bin/python3", "-c", CONNECT_PROBE,
                                           METADATA_IP, "80"),
                              capture_output=True, text=True, timeout=15)
        assert proc.returncode == 0, f"connect probe in {vm.name} failed: {proc.stderr}"
        return proc.stdout.strip()

    def refused(self, vm: topology.Vm, why: tuple = ("ECONNREFUSED",)) -> None:
        """Asserts that nothing listens on 169.254.169.254:80 for `vm` any more."""
        got = self.connect(vm)
        assert got in why, (f"connect from {vm.name} to {METADATA_IP}:80: {got}, wanted {why}\n"
                            f"{self.diagnostics()}")

    def node_netns_is_hosts(self) -> None:
        """The node's main thread is back in the namespace it started in."""
        mine = os.readlink("/proc/self/ns/net")
        assert os.readlink(f"/proc/{self.node.pid}/ns/net") == mine, (
            f"the node stayed in another namespace\n{self.diagnostics()}")

    def fd_count(self) -> int:
        return len(os.listdir(f"/proc/{self.node.pid}/fd"))

    def settled_fd_count(self, timeout: float = WAIT) -> int:
        """The node's open descriptors once they stop changing (the node closes a
        finished ctl connection a moment after ctl exits)."""
        deadline = time.monotonic() + timeout
        last = self.fd_count()
        while time.monotonic() < deadline:
            time.sleep(0.2)
            now = self.fd_count()
            if now == last:
                return now
            last = now
        return last

    # -- teardown ---------------------------------------------------------------
    def cleanup(self) -> list[str]:
        problems = []
        if self.node is not None:
            status = self.node.stop()
            if status != 0:
                problems.append(f"node exited with {status} on SIGTERM\n{self.node.describe()}")
            sanitizer = [ln for ln in self.node.log().splitlines() if SANITIZER_MARK.search(ln)]
            if sanitizer:
                problems.append(f"node sanitizer report: {sanitizer[0]}\n{self.node.describe()}")
        if self.agent is not None:
            self.agent.stop()
            self.agent = None
        for topo in self.topologies:
            topo.destroy()
        while self.made:
            topology.delete_netns(self.made.pop())
        shutil.rmtree(self.sockdir, ignore_errors=True)
        return problems

    def ours_remaining(self, names: list[str]) -> list[str]:
        return [n for n in topology.list_netns() if n in names]


CONNECT_PROBE = """
import errno, socket, sys
s = socket.socket()
s.settimeout(5)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print("connected")
except socket.timeout:
    print("timeout")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
"""


def parse_headers(raw: bytes) -> list[tuple[str, str]]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    out = []
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        out.append((name.strip(), value.strip()))
    return out


def values(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [v for n, v in headers if n.lower() == name.lower()]


def assert_identity(headers, header: str, value: str, client_ip: str) -> None:
    other = "X-Neutron-Router-ID" if header == "X-Neutron-Network-ID" else "X-Neutron-Network-ID"
    assert values(headers, header) == [value], headers
    assert values(headers, other) == [], headers
    assert values(headers, "X-Forwarded-For") == [client_ip], headers


def wait_for(check, what: str, env: Env, timeout: float = WAIT):
    """Polls `check()` until it returns a true value; fails with `what` after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s\n{env.diagnostics()}")
        time.sleep(0.05)


def shape(listeners: dict[str, dict]) -> dict:
    """What `list` says about the listeners, without the traffic counters."""
    return {u: (e["netns"], e["listening"], e["identity"], e["upstream"], e["draining"])
            for u, e in listeners.items()}


@pytest.fixture(params=[None, "nobody"], ids=["root", "as-nobody"])
def env(request, netns_ready, tmp_path):
    e = Env(str(tmp_path), user=request.param)

    def cleanup():
        return e.cleanup()

    _pending_cleanups.append(cleanup)
    made: list[str] = []
    try:
        e.start()
        for tag in NETWORK_SHAPES:
            net = e.add_qdhcp(tag)
            made += [net.ns, net.vm.name]
        for net in e.networks.values():
            e.add(net)
        yield e
    finally:
        made += list(e.made) + [n for t in e.topologies for n in t._made]
        if cleanup in _pending_cleanups:
            _pending_cleanups.remove(cleanup)
        problems = cleanup()
        left = e.ours_remaining(made)
        assert not left, f"namespaces left after teardown: {left}"
        assert not problems, "\n\n".join(problems)


# -- the tests ------------------------------------------------------------------------


def test_each_namespace_gets_its_own_network_id(env):
    listed = env.listeners()
    assert set(listed) == {n.network_id for n in env.networks.values()}, listed
    for net in env.networks.values():
        entry = listed[net.network_id]
        assert entry["netns"] == net.ns, entry
        assert entry["listening"] == f"{METADATA_IP}:80", entry
        assert entry["identity"] == {"header": "X-Neutron-Network-ID", "value": net.network_id}, entry
        assert entry["upstream"] == env.agent_sock, entry
        assert entry["draining"] is False, entry
        assert entry["requests"] == 0, entry

    for net in env.networks.values():
        assert_identity(env.served(net.vm), "X-Neutron-Network-ID", net.network_id, net.vm.ip)

    # A VM that names another network (and another VM's address) still gets its own.
    a, b = env.networks["A"], env.networks["B"]
    spoofed = env.served(a.vm, (f"X-Neutron-Network-ID: {b.network_id}",
                                f"X-Forwarded-For: {b.vm.ip}"))
    assert_identity(spoofed, "X-Neutron-Network-ID", a.network_id, a.vm.ip)

    # Counters are the listener's own: A served two requests, B and C one each.
    want = {a.network_id: 2, b.network_id: 1, env.networks["C"].network_id: 1}

    def counted():
        got = env.listeners()
        return got if all(got[u]["requests"] == n and got[u]["responses"].get("2xx") == n
                          for u, n in want.items()) else None

    got = wait_for(counted, f"list never showed requests/2xx {want}", env)
    for u, n in want.items():
        assert got[u]["accepted"] == n, got[u]
        assert got[u]["responses"] == {"2xx": n, "3xx": 0, "4xx": 0, "5xx": 0}, got[u]

    # Access log lines carry the listener.
    for net in env.networks.values():
        env.node.wait_for_log(rf"network {net.network_id}: access ", timeout=WAIT)
    env.node_netns_is_hosts()


def test_remove_closes_only_that_namespace(env):
    a, b, c = (env.networks[t] for t in "ABC")
    for net in (a, b, c):
        env.served(net.vm)

    r = env.ctl("remove", b.network_id)
    assert r.rc == 0, f"remove exited {r.rc}: {r.stderr}\n{env.diagnostics()}"
    assert r.reply == {"ok": True, "uuid": b.network_id, "draining": 0}, r.stdout

    # Closed at once: B's VM is refused on port 80, A and C keep answering.
    env.refused(b.vm)
    for net in (a, c):
        assert_identity(env.served(net.vm), "X-Neutron-Network-ID", net.network_id, net.vm.ip)
    assert set(env.listeners()) == {a.network_id, c.network_id}

    # Removing it again is refused; the port is free again, so B can be re-added.
    again = env.ctl("remove", b.network_id)
    assert again.rc == 1, again
    assert again.stderr.startswith("ns-metadata-proxy ctl: "), again.stderr
    assert f"{b.network_id} is not served" in again.stderr, again.stderr
    env.add(b)
    assert_identity(env.served(b.vm), "X-Neutron-Network-ID", b.network_id, b.vm.ip)
    assert set(env.listeners()) == {a.network_id, b.network_id, c.network_id}
    env.node_netns_is_hosts()


@pytest.mark.parametrize("where", ["missing-name", "missing-path", "not-a-namespace",
                                   "outside-run-netns"])
def test_add_for_a_namespace_that_does_not_exist_is_refused(env, where):
    before = env.listeners()
    ghost_id = make_uuid()
    made = None
    if where == "missing-name":
        netns = f"qdhcp-{ghost_id}"  # never created
    elif where == "missing-path":
        netns = "/proc/999999999/ns/net"  # no such process
    elif where == "not-a-namespace":
        netns = made = f"/run/netns/{topology.VM_PREFIX}{os.getpid()}-plain-file"
        with open(netns, "w") as f:
            f.write("not a namespace\n")
    else:
        netns = os.path.join(env.sockdir, "plain-file")  # only /run/netns and /proc/<pid>/ns/net
        with open(netns, "w") as f:
            f.write("not a namespace\n")
    ghost = Network("ghost", ghost_id, netns, env.networks["A"].vm)
    fds_before = env.settled_fd_count()

    try:
        c = env.ctl(*env.add_args(ghost))
    finally:
        if made:
            os.unlink(made)
    assert c.rc == 1, f"add for {where} exited {c.rc}: {c.stdout} {c.stderr}\n{env.diagnostics()}"
    assert c.stderr.startswith("ns-metadata-proxy ctl: "), c.stderr
    assert netns in c.stderr, c.stderr
    want = {"missing-name": "No such file or directory",
            "missing-path": "No such file or directory",
            "not-a-namespace": "not a network namespace (a plain file)",
            "outside-run-netns": "not a namespace name under /run/netns"}[where]
    assert want in c.stderr, c.stderr

    # Nothing changed: same listeners, still served, the node in its own namespace,
    # no descriptor left behind, and the refused uuid is not served.
    assert pid_alive(env.node.pid), env.diagnostics()
    env.node_netns_is_hosts()
    assert shape(env.listeners()) == shape(before)
    wait_for(lambda: env.fd_count() <= fds_before,
             f"the refused add left descriptors open (node had {fds_before})", env)
    gone = env.ctl("remove", ghost_id)
    assert gone.rc == 1 and f"{ghost_id} is not served" in gone.stderr, gone
    for net in env.networks.values():
        assert_identity(env.served(net.vm), "X-Neutron-Network-ID", net.network_id, net.vm.ip)


def test_same_address_twice_in_one_namespace_is_refused(env):
    a = env.networks["A"]
    before = env.listeners()
    other = Network("A2", make_uuid(), a.ns, a.vm)
    c = env.ctl(*env.add_args(other))
    assert c.rc == 1, f"a second listener on {METADATA_IP}:80 in {a.ns} exited {c.rc}: {c.stdout}"
    assert f"cannot listen on {METADATA_IP}:80 in {a.ns}: bind: Address already in use" in c.stderr, c.stderr
    # And the same uuid twice is refused even in another namespace.
    dup = env.ctl(*env.add_args(a, netns=env.networks["B"].ns))
    assert dup.rc == 1, dup
    assert f"network {a.network_id} is already served" in dup.stderr, dup.stderr
    assert shape(env.listeners()) == shape(before)
    env.node_netns_is_hosts()
    for net in env.networks.values():
        assert_identity(env.served(net.vm), "X-Neutron-Network-ID", net.network_id, net.vm.ip)


def test_deleting_a_served_namespace_does_not_disturb_the_others(env):
    a, b, c = (env.networks[t] for t in "ABC")
    env.served(b.vm)
    b_inode = os.stat(f"/run/netns/{b.ns}").st_ino

    run(["ip", "netns", "delete", b.ns])
    assert b.ns not in topology.list_netns()
    for net in (a, c):
        assert_identity(env.served(net.vm), "X-Neutron-Network-ID", net.network_id, net.vm.ip)
    assert pid_alive(env.node.pid), env.diagnostics()
    assert b.network_id in env.listeners(), "the listener vanished without a remove"

    r = env.ctl("remove", b.network_id)
    assert r.rc == 0, f"remove after `ip netns delete` exited {r.rc}: {r.stderr}\n{env.diagnostics()}"
    assert r.reply.get("ok") is True and r.reply.get("uuid") == b.network_id, r.stdout
    assert set(env.listeners()) == {a.network_id, c.network_id}
    for net in (a, c):
        assert_identity(env.served(net.vm), "X-Neutron-Network-ID", net.network_id, net.vm.ip)
    # Nothing listens for B's VM any more (its namespace may already be gone, and with
    # it the VM's link).
    env.refused(b.vm, ("ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "timeout"))

    # The node keeps no handle on the deleted namespace once its listener is gone.
    def holds_b():
        held = []
        for fd in os.listdir(f"/proc/{env.node.pid}/fd"):
            try:
                if os.readlink(f"/proc/{env.node.pid}/fd/{fd}") == f"net:[{b_inode}]":
                    held.append(fd)
            except OSError:
                pass
        return held

    assert not holds_b(), f"the node still holds the deleted namespace open\n{env.diagnostics()}"
    # Its name is gone: adding it again is refused.
    again = env.ctl(*env.add_args(b))
    assert again.rc == 1 and "No such file or directory" in again.stderr, again
    env.node_netns_is_hosts()


def test_router_listener_in_a_qrouter_namespace(env):
    topo = env.add_qrouter()
    router_id, vm = topo.service_id, topo.vms[0]
    c = env.ctl("add", "--netns", topo.service_ns, "--router_id", router_id,
                "--metadata_port", "9697", "--metadata_proxy_socket", env.agent_sock)
    assert c.rc == 0, f"add for {topo.service_ns} exited {c.rc}: {c.stderr}\n{env.diagnostics()}"
    assert c.reply == {"ok": True, "uuid": router_id, "netns": topo.service_ns,
                       "listening": "0.0.0.0:9697", "warnings": []}, c.stdout
    entry = env.listeners()[router_id]
    assert entry["identity"] == {"header": "X-Neutron-Router-ID", "value": router_id}, entry
    assert entry["netns"] == topo.service_ns and entry["listening"] == "0.0.0.0:9697", entry

    # Through the L3 agent's REDIRECT rule, with the router's id and the VM's address.
    assert_identity(env.served(vm), "X-Neutron-Router-ID", router_id, vm.ip)
    env.node.wait_for_log(rf"router {router_id}: access ", timeout=WAIT)
    # The DHCP-shaped listeners of the same node are unaffected.
    for net in env.networks.values():
        assert_identity(env.served(net.vm), "X-Neutron-Network-ID", net.network_id, net.vm.ip)

    r = env.ctl("remove", router_id)
    assert r.rc == 0 and r.reply == {"ok": True, "uuid": router_id, "draining": 0}, r
    env.refused(vm)
    gone = env.ctl("remove", router_id)
    assert gone.rc == 1 and f"{router_id} is not served" in gone.stderr, gone
    env.node_netns_is_hosts()


def test_remove_lets_a_request_in_flight_finish(env):
    a, b, c = (env.networks[t] for t in "ABC")
    release = threading.Event()
    env.agent.answer(wait_then_reply(release, response(200, b"late")))
    before = env.agent.connection_count
    path = f"/openstack/latest/meta_data.json/{uuid.uuid4().hex}"
    slow = subprocess.Popen(b.vm.exec_args("timeout", str(CURL_TIMEOUT + 5), "curl", "-sS",
                                           "--max-time", str(CURL_TIMEOUT), "-w", "\n%{http_code}",
                                           f"http://{METADATA_IP}{path}"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        env.agent.wait_connections(before + 1)  # B's request is at the agent, unanswered
        r = env.ctl("remove", b.network_id)
        assert r.rc == 0, f"remove exited {r.rc}: {r.stderr}\n{env.diagnostics()}"
        assert r.reply == {"ok": True, "uuid": b.network_id, "draining": 1}, r.stdout
        entry = env.listeners().get(b.network_id)
        assert entry is not None, "a draining listener must stay listed until its last connection closes"
        assert entry["draining"] is True and entry["active"] == 1, entry
        # Its port is closed at once; the other namespaces are served as before.
        env.refused(b.vm)
        for net in (a, c):
            assert_identity(env.served(net.vm), "X-Neutron-Network-ID", net.network_id, net.vm.ip)
        release.set()
        out, err = slow.communicate(timeout=CURL_TIMEOUT + 10)
        body, _, code = out.rpartition("\n")
        assert (slow.returncode, code, body) == (0, "200", "late"), (
            f"the request in flight got curl {slow.returncode} {code} {body!r} {err}\n{env.diagnostics()}")
        wait_for(lambda: b.network_id not in env.listeners(),
                 "the drained listener was never freed", env)
        assert set(env.listeners()) == {a.network_id, c.network_id}
    finally:
        release.set()
        if slow.poll() is None:
            slow.kill()
            slow.wait(timeout=5)


# Neutron's DHCP-agent haproxy config, as the unit tests' fixture holds it.
NEUTRON_CONFIG_FIXTURE = os.path.join(os.path.dirname(__file__), "..", "unit", "haproxy",
                                      "configs", "2020-dhcp-ipv6-no-brackets.cfg")
FIXTURE_NETWORK_ID = "9f2c1f39-6d7e-4ac1-8c4f-1b4c62f2a0d1"


def neutron_haproxy_config(network_id: str, pidfile: str, agent_sock: str) -> str:
    """The fixture for this network: its id, pid file and agent socket; IPv4 bind only."""
    with open(NEUTRON_CONFIG_FIXTURE) as f:
        text = f.read().replace(FIXTURE_NETWORK_ID, network_id)
    text = re.sub(r"(?m)^(\s*pidfile\s+)\S+$", lambda m: m.group(1) + pidfile, text)
    text = re.sub(r"(?m)^(\s*server metadata )\S+$", lambda m: m.group(1) + agent_sock, text)
    return re.sub(r"(?m)^\s*bind fe80::.*\n", "", text)


def test_add_from_neutrons_haproxy_config(env):
    c = env.networks["C"]
    r = env.ctl("remove", c.network_id)
    assert r.rc == 0, r
    conf = os.path.join(env.sockdir, f"{c.network_id}.conf")
    pidfile = os.path.join(env.sockdir, f"{c.network_id}.pid")
    with open(conf, "w") as f:
        f.write(neutron_haproxy_config(c.network_id, pidfile, env.agent_sock))
    added = env.ctl("add", "--netns", c.ns, "-f", conf)
    assert added.rc == 0, f"add -f exited {added.rc}: {added.stderr}\n{env.diagnostics()}"
    reply = added.reply
    assert (reply.get("ok"), reply.get("uuid"), reply.get("netns"), reply.get("listening")) == (
        True, c.network_id, c.ns, f"{METADATA_IP}:80"), reply
    # The process settings are reported, not applied: no pid file, the node keeps its user.
    warned = " ".join(reply.get("warnings", []))
    for word in ("daemon", "pidfile", "user", "group", "log"):
        assert word in warned, f"no warning about `{word}`: {reply.get('warnings')}"
    assert not os.path.exists(pidfile), "the node wrote the config's pid file"
    with open(f"/proc/{env.node.pid}/status") as f:
        uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
    want = str(pwd.getpwnam(env.user).pw_uid) if env.user else "0"
    assert uids == [want] * 4, f"the node changed user: {uids}"
    entry = env.listeners()[c.network_id]
    assert entry["identity"] == {"header": "X-Neutron-Network-ID", "value": c.network_id}, entry
    assert entry["upstream"] == env.agent_sock, entry
    for net in env.networks.values():
        assert_identity(env.served(net.vm), "X-Neutron-Network-ID", net.network_id, net.vm.ip)
    env.node_netns_is_hosts()


def test_add_by_namespace_path(env):
    """--netns /proc/<pid>/ns/net: the namespace of a process, not a name."""
    c = env.networks["C"]
    assert env.ctl("remove", c.network_id).rc == 0
    holder = subprocess.Popen(["ip", "netns", "exec", c.ns, "sleep", "60"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        path = f"/proc/{holder.pid}/ns/net"
        wait_for(lambda: os.path.exists(path) and os.stat(path).st_ino == os.stat(f"/run/netns/{c.ns}").st_ino,
                 f"pid {holder.pid} never entered {c.ns}", env)
        added = env.ctl(*env.add_args(c, netns=path))
        assert added.rc == 0, f"add --netns {path} exited {added.rc}: {added.stderr}\n{env.diagnostics()}"
        assert (added.reply.get("uuid"), added.reply.get("netns"), added.reply.get("listening")) == (
            c.network_id, path, f"{METADATA_IP}:80"), added.stdout
    finally:
        holder.kill()
        holder.wait(timeout=5)
    # The listener lives on in the namespace after the process that named it is gone.
    for net in env.networks.values():
        assert_identity(env.served(net.vm), "X-Neutron-Network-ID", net.network_id, net.vm.ip)
    env.node_netns_is_hosts()
