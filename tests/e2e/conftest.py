"""End-to-end fixtures: a Neutron-shaped cloud in network namespaces.

    VM namespaces --veth--> qrouter-<id> (iptables REDIRECT 169.254.169.254:80 -> 9697)
                             `ns-metadata-proxy --router_id <id>` listening on 9697
                       or   qdhcp-<network id> (169.254.169.254/32 on its port)
                             `ns-metadata-proxy --network_id <id>` on 169.254.169.254:80
                                  | UNIX socket (not namespaced: a plain path)
                             `ns-metadata-proxy metadata-server` in the host namespace

The `cloud` fixture is parametrized over both shapes, so every test runs in each.

Needs root and `ip netns`; skips with the reason otherwise. NSMP_BINARY names the
binary (ctest passes it). Every namespace, link, rule and process is removed on
teardown, also when a test fails or the run is interrupted; namespaces a killed
run left behind are swept at start.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import instances as inst_mod  # noqa: E402
import topology  # noqa: E402
from procs import Daemon  # noqa: E402

DEFAULT_BINARY = os.path.join(HERE, "..", "..", "build", "src", "app", "ns-metadata-proxy")
DRIVER = os.path.join(HERE, "cloudinit_driver.py")
CURL_TIMEOUT = 10
# What AddressSanitizer, LeakSanitizer and UBSan print (an NSMP_SANITIZE build).
SANITIZER_MARK = re.compile(r"ERROR: \w+Sanitizer|runtime error:")

# Cleanups still to run; pytest_unconfigure runs what an interrupted run skipped.
_pending_cleanups: list = []


def pytest_configure(config):
    # ctest ends a suite that runs too long with SIGTERM: turn it into an interrupt
    # so the finalizers below still remove namespaces and processes.
    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)


def pytest_unconfigure(config):
    while _pending_cleanups:
        _pending_cleanups.pop()()


@dataclass
class HttpReply:
    status: int
    body: bytes

    def json(self):
        return json.loads(self.body)


class Cloud:
    """The running topology: VMs, the instances behind them, and ways to ask."""

    def __init__(self, topo: topology.Topology, network_id: str, data_path: str,
                 instances: list, stranger, late, workdir: str, proxy: Daemon, server: Daemon):
        self.topo = topo
        self.network_id = network_id  # the network of every VM
        self.data_path = data_path  # the metadata server's data file
        self.instances = instances  # instances[i] belongs to vms[i]
        self.stranger = stranger  # a VM no instance belongs to
        self.late = late  # no instance either, until a test adds one
        self.workdir = workdir
        self.proxy = proxy
        self.server = server

    @property
    def vms(self):
        return self.topo.vms[: len(self.instances)]

    def write_data(self, instances: list) -> None:
        """Replaces the metadata server's data file (atomically) with `instances`."""
        router_id = self.topo.service_id if self.topo.kind == "qrouter" else None
        inst_mod.data_file(self.data_path, router_id, self.network_id, instances)

    def diagnostics(self) -> str:
        return f"{self.proxy.describe()}\n\n{self.server.describe()}"

    def curl(self, vm, path: str, headers: tuple = (), method: str = "GET",
             data: bytes | None = None) -> HttpReply:
        """One request from inside `vm` to http://169.254.169.254<path>."""
        out = os.path.join(self.workdir, f"curl-{uuid.uuid4().hex}")
        args = ["timeout", str(CURL_TIMEOUT + 5), "curl", "-sS", "--max-time", str(CURL_TIMEOUT),
                "-X", method, "-o", out, "-w", "%{http_code}"]
        for h in headers:
            args += ["-H", h]
        if data is not None:
            with open(out + ".in", "wb") as f:
                f.write(data)
            args += ["--data-binary", "@" + out + ".in"]
        proc = subprocess.run(vm.exec_args(*args, f"http://{topology.METADATA_IP}{path}"),
                              capture_output=True, text=True, timeout=CURL_TIMEOUT + 10)
        if proc.returncode != 0:
            raise AssertionError(f"curl {path} from {vm.name} failed ({proc.returncode}): "
                                 f"{proc.stderr.strip()}\n{self.diagnostics()}")
        with open(out, "rb") as f:
            body = f.read()
        os.unlink(out)
        return HttpReply(int(proc.stdout), body)

    def cloud_init(self, vm, kind: str) -> dict:
        """Runs cloud-init's `kind` datasource ("openstack" or "ec2") inside `vm`."""
        work = os.path.join(self.workdir, f"cloud-init-{kind}-{vm.index}-{uuid.uuid4().hex[:6]}")
        os.makedirs(work)
        proc = subprocess.run(vm.exec_args("timeout", "90", "/usr/bin/python3", DRIVER, kind, work),
                              capture_output=True, text=True, timeout=100)
        with open(os.path.join(work, "driver.log"), "w") as f:
            f.write(proc.stderr)
        try:
            result = json.loads(proc.stdout)
        except json.JSONDecodeError:
            result = {"ok": False}
        if proc.returncode != 0 or not result.get("ok"):
            tail = "\n".join(proc.stderr.splitlines()[-60:])
            raise AssertionError(f"cloud-init {kind} datasource in {vm.name} did not accept the "
                                 f"metadata (exit {proc.returncode})\n--- cloud-init log tail ---\n"
                                 f"{tail}\n{self.diagnostics()}")
        return result


def engine_args() -> list[str]:
    """NSMP_E2E_ENGINE=haproxy runs the suite against `--engine haproxy`."""
    engine = os.environ.get("NSMP_E2E_ENGINE")
    return ["--engine", engine] if engine else []


def binary_path() -> str:
    return os.path.abspath(os.environ.get("NSMP_BINARY", DEFAULT_BINARY))


def start_cloud(workdir: str, kind: str, vm_count: int = 2) -> tuple[Cloud, callable]:
    """Builds a `kind` topology ("qrouter" or "qdhcp") and starts both daemons;
    returns the cloud and its cleanup."""
    binary = binary_path()
    topo = topology.Topology.make_names(kind)
    daemons: list[Daemon] = []

    def cleanup() -> list[str]:
        """Stops the daemons and removes the topology; returns what went wrong."""
        problems = []
        for d in reversed(daemons):
            status = d.stop()
            if status != 0:
                problems.append(f"{d.name} exited with {status} on SIGTERM\n{d.describe()}")
            sanitizer = [line for line in d.log().splitlines() if SANITIZER_MARK.search(line)]
            if sanitizer:
                problems.append(f"{d.name} sanitizer report: {sanitizer[0]}\n{d.describe()}")
        topo.destroy()
        return problems

    try:
        topo.build_service()
        network_id = topo.service_id if kind == "qdhcp" else str(uuid.uuid4())
        vms = [topo.add_vm() for _ in range(vm_count)]
        instances = [inst_mod.make_instance(vm.index, network_id, vm.ip, vm.mac,
                                            binary_user_data=(vm.index % 2 == 0)) for vm in vms]
        # On the same network, but no instance has its address.
        stranger = topo.add_vm()
        # Gets an instance later, by an edit of the data file (a VM that boots now).
        late = topo.add_vm()
        data = os.path.join(workdir, "metadata.json")
        inst_mod.data_file(data, topo.service_id if kind == "qrouter" else None, network_id,
                           instances)
        sock = os.path.join(workdir, "agent.sock")

        server = Daemon("metadata-server", [binary, "metadata-server", "--socket", sock,
                                            "--data", data, "--debug"],
                        os.path.join(workdir, "metadata-server.log"))
        daemons.append(server)
        server.wait_for_unix_socket(sock)
        host, port = topo.proxy_address
        identity = "--router_id" if kind == "qrouter" else "--network_id"
        proxy = Daemon("proxy", topo.service_exec(
            binary, identity, topo.service_id, "--nodaemonize", "--bind_host", host,
            "--metadata_port", str(port), "--metadata_proxy_socket", sock,
            "--state_path", workdir, "--pid_file", os.path.join(workdir, "proxy.pid"),
            "--debug", *engine_args()), os.path.join(workdir, "proxy.log"))
        daemons.append(proxy)
        _wait_until_served(proxy, stranger)
        return Cloud(topo, network_id, data, instances, stranger, late, workdir, proxy,
                     server), cleanup
    except BaseException:
        cleanup()
        raise


def _wait_until_served(proxy: Daemon, vm, timeout: float = 15) -> None:
    """Until an HTTP answer comes back to `vm` through 169.254.169.254 (any engine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proxy.proc.poll() is not None:
            raise RuntimeError(f"the proxy exited with {proxy.proc.returncode}\n{proxy.describe()}")
        probe = subprocess.run(vm.exec_args("timeout", "3", "curl", "-s", "-o", "/dev/null",
                                            "--max-time", "1", "-w", "%{http_code}",
                                            f"http://{topology.METADATA_IP}/"),
                               capture_output=True, text=True, timeout=10)
        if probe.stdout.strip() not in ("", "000"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"no HTTP answer through 169.254.169.254 within {timeout}s\n{proxy.describe()}")


@pytest.fixture(scope="session")
def netns_ready():
    why = topology.netns_available()
    if why:
        pytest.skip(why)
    if not os.access(binary_path(), os.X_OK):
        pytest.skip(f"no ns-metadata-proxy binary at {binary_path()} (build it, or set NSMP_BINARY)")
    swept = topology.sweep_leftovers()
    if swept:
        print(f"swept namespaces left by killed runs: {swept}", file=sys.stderr)


@pytest.fixture(scope="session", params=["qrouter", "qdhcp"])
def cloud(request, netns_ready, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp(f"e2e-{request.param}"))
    c, cleanup = start_cloud(workdir, request.param)
    _pending_cleanups.append(cleanup)
    try:
        yield c
    finally:
        if cleanup in _pending_cleanups:
            _pending_cleanups.remove(cleanup)
        problems = cleanup()
        left = c.topo.remaining()
        assert not left, f"namespaces left after teardown: {left}"
        # Both daemons must stop cleanly: exit 0 on SIGTERM, no sanitizer report.
        assert not problems, "\n\n".join(problems)
