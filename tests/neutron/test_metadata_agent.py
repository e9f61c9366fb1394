"""Section 3: Neutron's real metadata agent behind the proxy.

    VM namespaces --veth--> qdhcp-<net> (169.254.169.254:80 and fe80::a9fe:a9fe%tap…)
                            the proxy: this binary as `haproxy`, started by Neutron's
                            DHCP agent code (update_isolated_metadata_proxy())
                                 | UNIX socket
                            neutron-metadata-agent (Debian's, unmodified)
                                 | get_ports / report_state over a private RabbitMQ
                                 |   -> plugin_rpc.py answering from the instances
                                 | HTTP to 127.0.0.1 with X-Instance-ID, its HMAC, X-Tenant-ID
                            ns-metadata-proxy metadata-server --nova-listen (Nova's side)

Three VMs, each with an instance in a project of its own. Every VM gets its own
metadata (keep-alive, large and binary user data, POST, HTTP/1.0, IPv6 link-local),
whatever it claims to be; real haproxy with the same config shows what differs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess

import pytest

import instances as inst_mod
import metadata_stack
import neutron_env as ne
import topology
from conftest import Shapes, port_id_for
from lifecycle import pid_file_of

META = "/openstack/latest/meta_data.json"
USER_DATA = "/openstack/latest/user_data"
PASSWORD = "/openstack/latest/password"
V4 = "http://169.254.169.254"
V6 = "http://[fe80::a9fe:a9fe%eth0]"
REAL_HAPROXY = "/usr/sbin/haproxy"


def large_user_data(tag: str) -> bytes:
    """~48 KiB of cloud-config (Nova allows 64 KiB once base64-encoded)."""
    lines = [b"#cloud-config", b"write_files:", f"  - path: /tmp/{tag}".encode(),
             b"    content: |"]
    i = 0
    while sum(len(x) + 1 for x in lines) < 48 * 1024:
        lines.append(f"      line {i:05d} {hashlib.sha256(str(i).encode()).hexdigest()}".encode())
        i += 1
    return b"\n".join(lines) + b"\n"


class Cloud:
    def __init__(self, topo, instances, stack, agent, network):
        self.topo = topo
        self.instances = instances  # instances[i] is vms[i]'s
        self.stack = stack
        self.agent = agent
        self.network = network
        self.conf = os.path.join(agent.state_path, "ns-metadata-proxy",
                                 f"{topo.service_id}.conf")

    @property
    def vms(self):
        return self.topo.vms

    def describe(self) -> str:
        return f"{self.agent.describe()}\n\n{self.stack.describe()}"

    def get(self, vm, path: str, headers=(), base=V4, extra=()) -> tuple[int, bytes]:
        return ne.curl(vm, base + path, headers=headers, extra=extra)

    def meta(self, vm, headers=(), base=V4) -> dict:
        status, body = self.get(vm, META, headers, base)
        assert status == 200, f"{vm.name}: {status} {body[:300]!r}\n{self.describe()}"
        return json.loads(body)

    def signature(self, inst) -> str:
        return hmac.new(self.stack.secret.encode(), inst.uuid.encode(), hashlib.sha256).hexdigest()

    def nova_got_post(self, inst, path: str, size: int) -> bool:
        """Nova's side logged a POST of `path` for `inst` with a `size`-byte body
        (its access log: ... nova instance-id=I tenant=T "POST path" ... body=N)."""
        pattern = re.compile(rf'nova instance-id={re.escape(inst.uuid)} tenant='
                             rf'{re.escape(inst.project_id)} "POST {re.escape(path)}" .* body={size}$',
                             re.M)
        return bool(pattern.search(self.stack.nova.log()))

    def enable(self):
        self.agent.call("network_enable", **self.network)
        self.agent.wait_active(self.topo.service_id, self.topo.service_ns)


@pytest.fixture(scope="module")
def cloud(agents, early_rabbit):
    why = metadata_stack.missing()
    if why:
        pytest.skip(why)
    shapes = Shapes()
    stack = None
    try:
        topo = shapes.make("qdhcp", vms=3, ipv6=True)
        net = topo.service_id
        instances = [inst_mod.make_instance(vm.index, net, vm.ip, vm.mac,
                                            binary_user_data=(vm.index == 2))
                     for vm in topo.vms]
        instances[0].user_data = large_user_data(instances[0].meta["tag"])
        stack = metadata_stack.MetadataStack(ne.binary_path(), instances, net, early_rabbit)
        # The DHCP agent gets ready while RabbitMQ and the metadata agent start.
        agent, = agents.start(dict(kind="dhcp", agent_socket=stack.socket), meanwhile=stack.start)
        network = dict(network_id=net, port_id=port_id_for(topo), cidr="192.0.2.0/24",
                       dhcp_ip=topology.DHCP_IP)
        agents.track(pid_file_of(agent, net), net)
        c = Cloud(topo, instances, stack, agent, network)
        c.enable()
        yield c
        agent.call("network_disable", **network)
    finally:
        if stack:
            stack.stop()
        shapes.close()


def test_each_instance_gets_its_own_metadata(cloud):
    for vm, inst in zip(cloud.vms, cloud.instances):
        meta = cloud.meta(vm)
        assert (meta["uuid"], meta["project_id"]) == (inst.uuid, inst.project_id), meta
        status, body = cloud.get(vm, USER_DATA)
        assert (status, body) == (200, inst.user_data), (
            f"{vm.name}: user data {status}, {len(body)} bytes of {len(inst.user_data)}")
    # The real agent asked the server for each VM's port, and reported its state.
    lookups = cloud.stack.calls("get_ports")
    for inst in cloud.instances:
        assert {"network_id": [inst.network_id], "fixed_ips": {"ip_address": [inst.ip]}} in [
            c["filters"] for c in lookups], lookups
    states = cloud.stack.calls("report_state")
    assert states and states[0]["binary"] == "neutron-metadata-agent", states


def test_keep_alive_and_http10(cloud):
    vm, inst = cloud.vms[0], cloud.instances[0]
    # Two requests on one client connection: curl reuses it (no second connect).
    args = ["timeout", "20", "curl", "-sS", "--max-time", "15", "-w", "%{http_code} %{num_connects}\n",
            "-o", "/dev/null", f"{V4}{META}", "-o", "/dev/null", f"{V4}{USER_DATA}"]
    out = subprocess.run(vm.exec_args(*args), capture_output=True, text=True, timeout=25)
    assert out.stdout.split("\n")[:2] == ["200 1", "200 0"], (out.stdout, out.stderr)
    # HTTP/1.0 gets an HTTP/1.0-compatible answer with the whole body.
    status, body = cloud.get(vm, USER_DATA, extra=("--http1.0",))
    assert (status, body) == (200, inst.user_data)


def test_ipv6_link_local(cloud):
    """The agent finds a link-local client by the MAC inside its address (get_ports by
    mac_address): X-Forwarded-For must be the VM's own fe80:: address."""
    for vm, inst in zip(cloud.vms[:2], cloud.instances):
        assert cloud.meta(vm, base=V6)["uuid"] == inst.uuid
        status, body = cloud.get(vm, USER_DATA, base=V6)
        assert (status, body) == (200, inst.user_data)
    assert [c for c in cloud.stack.calls("get_ports")
            if c["filters"].get("mac_address") == [cloud.instances[0].mac]], "no lookup by MAC"


def test_post_body_reaches_nova(cloud):
    vm, inst = cloud.vms[1], cloud.instances[1]
    password = f"pw-{inst.meta['tag']}".encode()
    status, _ = cloud.get(vm, PASSWORD, extra=("--data-binary", password.decode()))
    assert status == 200, cloud.describe()
    assert cloud.nova_got_post(inst, PASSWORD, len(password)), cloud.stack.nova.describe()
    assert cloud.get(vm, PASSWORD) == (200, password)
    assert cloud.get(cloud.vms[0], PASSWORD) == (200, b""), "another VM sees the password"


def spoofs(cloud, victim) -> dict[str, tuple]:
    """Header sets a VM sends to be taken for `victim` (another VM's instance)."""
    other_net = "00000000-0000-4000-8000-0000000000aa"
    sig = cloud.signature(victim)
    sets = {
        "X-Forwarded-For": (f"X-Forwarded-For: {victim.ip}",),
        "X-Forwarded-For list": (f"X-Forwarded-For: {victim.ip}, 198.51.100.1",),
        "x_forwarded_for": (f"x_forwarded_for: {victim.ip}",),
        "X-Neutron-Network-ID": (f"X-Neutron-Network-ID: {other_net}",),
        "X-Neutron-Router-ID": ("X-Neutron-Router-ID: 00000000-0000-4000-8000-0000000000bb",),
        "X_Neutron_Router_ID": ("X_Neutron_Router_ID: 00000000-0000-4000-8000-0000000000bb",),
        "X_Neutron_Network_ID": (f"X_Neutron_Network_ID: {other_net}",),
        "X-OVN-Network-ID": (f"X-OVN-Network-ID: {other_net}",),
        "Forwarded": (f"Forwarded: for={victim.ip}",),
        "X-Real-IP": (f"X-Real-IP: {victim.ip}",),
        "X-Instance-ID signed": (f"X-Instance-ID: {victim.uuid}",
                                 f"X-Instance-ID-Signature: {sig}",
                                 f"X-Tenant-ID: {victim.project_id}"),
        "X_Instance_ID signed": (f"X_Instance_ID: {victim.uuid}",
                                 f"X_Instance_ID_Signature: {sig}",
                                 f"X_Tenant_ID: {victim.project_id}"),
    }
    sets["all at once"] = tuple(h for hs in sets.values() for h in hs if "list" not in h)
    return sets


def test_spoofing_returns_the_senders_own_data(cloud):
    vm, own, victim = cloud.vms[0], cloud.instances[0], cloud.instances[1]
    for name, headers in spoofs(cloud, victim).items():
        for base in (V4, V6):
            meta = cloud.meta(vm, headers, base)
            assert meta["uuid"] == own.uuid, f"{name} over {base}: got {meta}"


def test_real_haproxy_with_the_same_config_differs(cloud):
    """The same Neutron-written config run by /usr/sbin/haproxy: the spoofs that reach
    Neutron's agent through it (a second X-Forwarded-For, the underscore spelling of
    an identity header) cost the VM its own metadata; none gets it another's."""
    if not os.access(REAL_HAPROXY, os.X_OK):
        pytest.skip("no /usr/sbin/haproxy (Debian's haproxy package)")
    vm, own, victim = cloud.vms[0], cloud.instances[0], cloud.instances[1]
    text = ne.read_file(cloud.conf)
    cloud.agent.call("network_disable", **cloud.network)
    conf = os.path.join(cloud.stack.dir, f"{cloud.topo.service_id}.conf")  # uuid in cmdline
    with open(conf, "w") as f:
        f.write(text)
    pid_file = ne.config_value(text, "pidfile")
    started = subprocess.run(["ip", "netns", "exec", cloud.topo.service_ns, REAL_HAPROXY,
                              "-f", conf], capture_output=True, text=True, timeout=30)
    assert started.returncode == 0, started.stderr
    try:
        results = {}
        for name, headers in spoofs(cloud, victim).items():
            status, body = cloud.get(vm, META, headers)
            results[name] = json.loads(body)["uuid"] if status == 200 else status
    finally:
        ne.kill_proxy(pid_file, cloud.topo.service_id)
        os.unlink(pid_file)
        cloud.enable()
    # Through ns-metadata-proxy every one of them gave the VM its own uuid (above).
    # Through haproxy: a VM's X-Forwarded-For is followed by haproxy's own, the agent's
    # WSGI server joins the two and fails to parse them (500); an underscore spelling of
    # an identity header escapes del-header and joins the real one (404).
    differs = {name: got for name, got in results.items() if got != own.uuid}
    assert differs == {"X-Forwarded-For": 500, "X-Forwarded-For list": 500,
                       "x_forwarded_for": 500, "X_Neutron_Router_ID": 404,
                       "X_Neutron_Network_ID": 404, "all at once": 404}, results


def test_chunked_post_body_reaches_nova(cloud):
    """Neutron's agent reads no body from a chunked request, so the proxy sends the
    agent a Content-Length body (issue #11, 'Chunked request bodies'; failed before
    c7343d0: Nova's side logged the POST without a body and the password stayed empty)."""
    vm, inst = cloud.vms[2], cloud.instances[2]
    password = f"chunked-{inst.meta['tag']}".encode()
    status, _ = cloud.get(vm, PASSWORD, headers=("Transfer-Encoding: chunked",),
                          extra=("--data-binary", password.decode()))
    assert status == 200
    assert cloud.nova_got_post(inst, PASSWORD, len(password)), cloud.stack.nova.describe()
    assert cloud.get(vm, PASSWORD) == (200, password), "Nova's side did not get the body"
