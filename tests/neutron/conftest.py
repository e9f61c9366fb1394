"""Fixtures of the Neutron suite: Debian's Neutron 21 drives this binary as `haproxy`.

- `dropin`: the binary as `haproxy` in a directory of its own, first on the agents'
  PATH and in rootwrap's exec_dirs (`rootwrap_conf`: Debian's rootwrap.conf and filters).
- `agents`: agent processes (agent_sim.py) by kind, IPv6 or not, extra options; each
  with a scripted metadata agent (harness.upstream) on its metadata_proxy_socket.
- `node`: one `ns-metadata-proxy node`, for `ctl add --netns NS -f CONF`.
- `shapes`: namespaces in the agents' shapes (qrouter-, qdhcp-, ovnmeta-) with VMs.

Needs root, `ip netns` and python3-neutron (scripts/install-deps.sh); skips saying
why otherwise. Everything started is stopped by pid, also when a test fails or the
run is interrupted (SIGTERM from ctest's timeout included).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import neutron_env as ne  # noqa: E402  (puts tests/e2e and tests/integration on sys.path)
import rabbit as rabbit_mod  # noqa: E402
import topology  # noqa: E402
from harness import node as node_mod  # noqa: E402
from harness import upstream as upstream_mod  # noqa: E402

_pending: list = []  # cleanups an interrupted run still has to do


def pytest_configure(config):
    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)


def pytest_unconfigure(config):
    while _pending:
        _pending.pop()()


def _finally(request, cleanup):
    """Runs `cleanup` at the fixture's teardown, or at exit if the run is interrupted."""
    _pending.append(cleanup)

    def run():
        if cleanup in _pending:
            _pending.remove(cleanup)
            cleanup()

    request.addfinalizer(run)


@pytest.fixture(scope="session")
def ready():
    why = ne.missing_prerequisite()
    if why:
        pytest.skip(why)
    swept = topology.sweep_leftovers()
    if swept:
        print(f"swept namespaces left by killed runs: {swept}", file=sys.stderr)


@pytest.fixture(scope="session")
def dropin(ready, request):
    d = ne.DropIn(ne.binary_path())
    _finally(request, lambda: shutil.rmtree(d.dir, ignore_errors=True))
    return d


@pytest.fixture(scope="session")
def rootwrap_conf(dropin, request):
    """Debian's rootwrap.conf with the drop-in's directory first in exec_dirs."""
    d = ne.public_dir("rootwrap")
    _finally(request, lambda: shutil.rmtree(d, ignore_errors=True))
    return ne.write_rootwrap_conf(os.path.join(d, "rootwrap.conf"), [dropin.dir])


def _collect(fn, errors):
    try:
        fn()
    except BaseException as e:  # re-raised by the caller's thread
        errors.append(e)


class Agents:
    """Agent processes, started on first use and kept for the session."""

    def __init__(self, dropin, rootwrap_conf):
        self.dropin = dropin
        self.rootwrap_conf = rootwrap_conf
        self.hosts: dict[bool, ne.HostNamespace] = {}
        self.running: dict[tuple, ne.Agent] = {}
        self.upstreams: dict[tuple, upstream_mod.Upstream] = {}
        self.dirs: list[str] = []
        self.spawned: list[tuple[str, str]] = []  # (pid file, uuid): ended at teardown

    def get(self, kind: str, ipv6: bool = True, options: dict | None = None,
            agent_socket: str | None = None) -> ne.Agent:
        """The agent of `kind` on a dual-stack (`ipv6`) or IPv4-only host, with extra
        config `options`; its metadata_proxy_socket is `agent_socket`, or else a
        scripted agent's (`agent.upstream`, harness.upstream.Upstream)."""
        spec = dict(kind=kind, ipv6=ipv6, options=options, agent_socket=agent_socket)
        return self.start(spec)[0]

    def start(self, *specs: dict, meanwhile=None) -> list[ne.Agent]:
        """The agents of `specs` (get()'s arguments), those not running yet started
        side by side (Python start-up and privsep dominate; two cores share them);
        `meanwhile()` runs while they get ready. Processes are spawned from this
        thread: PR_SET_PDEATHSIG would end them with a helper thread."""
        agents, new = [], []
        for spec in specs:
            key = (spec["kind"], spec.get("ipv6", True), repr(sorted((spec.get("options") or {}).items())),
                   spec.get("agent_socket"))
            if key not in self.running:
                self.running[key] = self._spawn(key, spec)
                new.append(self.running[key])
            agents.append(self.running[key])
        errors = []
        threads = [threading.Thread(target=_collect, args=(a.wait_ready, errors)) for a in new]
        for t in threads:
            t.start()
        try:
            if meanwhile:
                meanwhile()
        finally:
            for t in threads:
                t.join()
        if errors:
            raise errors[0]
        return agents

    def _spawn(self, key, spec) -> ne.Agent:
        ipv6 = spec.get("ipv6", True)
        if ipv6 not in self.hosts:
            self.hosts[ipv6] = ne.HostNamespace(ipv6)
        workdir = ne.public_dir(f"{spec['kind']}{len(self.running)}")
        self.dirs.append(workdir)
        upstream, agent_socket = None, spec.get("agent_socket")
        if agent_socket is None:
            agent_socket = os.path.join(workdir, "metadata_proxy")
            upstream = self.upstreams[key] = upstream_mod.Upstream(agent_socket).start()
        agent = ne.Agent(spec["kind"], workdir, self.dropin, self.rootwrap_conf,
                         self.hosts[ipv6], agent_socket, spec.get("options"))
        agent.upstream = upstream
        return agent

    def track(self, pid_file: str, uuid: str) -> None:
        self.spawned.append((pid_file, uuid))

    def close(self):
        for agent in self.running.values():
            agent.stop()
        for pid_file, uuid in self.spawned:
            ne.kill_proxy(pid_file, uuid)
        for up in self.upstreams.values():
            up.stop()
        for host in self.hosts.values():
            host.destroy()
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def agents(dropin, rootwrap_conf, request):
    a = Agents(dropin, rootwrap_conf)
    _finally(request, a.close)
    return a


@pytest.fixture(scope="session", autouse=True)
def early_rabbit(request):
    """RabbitMQ boots for a while: when a collected test needs it (the `cloud` of
    test_metadata_agent.py), its private node starts with the session and boots
    while the other tests run."""
    if not any("cloud" in item.fixturenames for item in request.session.items):
        return None
    if ne.missing_prerequisite() or rabbit_mod.missing():
        return None
    r = rabbit_mod.Rabbit()
    _finally(request, r.stop)
    return r


@pytest.fixture(scope="session")
def node(ready, request):
    """One `ns-metadata-proxy node` (root) for the whole session."""
    workdir = ne.public_dir("node")
    n = node_mod.Node(ne.binary_path(), workdir).start()

    def stop():
        n.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    _finally(request, stop)
    return n


class Shapes:
    """Namespaces in the agents' shapes, each with VMs; removed at teardown."""

    def __init__(self):
        self.made: list[topology.Topology] = []

    def make(self, kind: str, vms: int = 1, ipv6: bool = False) -> topology.Topology:
        """A qrouter- (no iptables rules: Neutron's code applies them), qdhcp- or
        ovnmeta- namespace. DHCP and OVN ports are named `tap…` as the OVS interface
        driver names them; with `ipv6`, the port holds fe80::a9fe:a9fe (no DAD, as
        the DHCP port has it once DAD is done) and each VM its EUI-64 link-local."""
        topo = topology.Topology.make_names(kind, port_prefix=None if kind == "qrouter" else "tap")
        self.made.append(topo)
        topo.build_service(l3_rules=False)
        if ipv6:
            topology.run(["ip", "-n", topo.service_ns, "-6", "addr", "add", "fe80::a9fe:a9fe/64",
                          "dev", topo.bridge, "nodad"])
        for _ in range(vms):
            vm = topo.add_vm()
            if ipv6:
                vm.link_local = ne.give_link_local(vm)
        return topo

    def close(self):
        for topo in self.made:
            topo.destroy()


@pytest.fixture
def shapes(ready, request):
    s = Shapes()
    _finally(request, s.close)
    return s


def port_id_for(topo: topology.Topology) -> str:
    """A port uuid whose OVS device name ('tap' + its first 11 characters) is the
    topology's port, so the DHCP agent names the interface the namespace has."""
    head = topo.bridge[3:]  # 8 hex, '-', 2 hex
    return f"{head}00-4000-8000-{os.getpid():012d}"


@pytest.fixture
def run_cmd():
    def run(args, env=None, timeout=30):
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)

    return run
