"""Section 1: every config Neutron 21's agents write, written by Neutron's own code.

Six configs from five agents (DHCP on dual-stack and IPv4-only hosts and for the
metadata access network, L3 dual-stack and IPv4-only running as metadata_proxy_user,
OVN). Each case asks an agent process (agent_sim.py, set up as the agent's main() sets
itself up) to take the path the agent takes for a router or network -- L3:
after_router_added(); DHCP: update_isolated_metadata_proxy(); OVN: the proxy step of
provision_datapath() -- with ProcessManager.enable() recording the command instead of
running it. Neutron's callback writes the file. That file, untouched, then:
  1. passes `haproxy -c -f CONF` (the drop-in),
  2. runs as the agents run it: `ip netns exec NS haproxy -f CONF` (the recorded
     command; PATH finds the drop-in), daemonizes, and serves a VM's request with
     exactly the identity the config names,
  3. runs through `ns-metadata-proxy node` + `ctl add --netns NS -f CONF`.
"""

from __future__ import annotations

import os
import pwd
import signal
import uuid
from dataclasses import dataclass, field

import pytest

import neutron_env as ne
from conftest import port_id_for
from harness import node as node_mod


@dataclass
class Case:
    kind: str  # agent: l3, dhcp, ovn
    ipv6_host: bool  # the agent's host has IPv6 (oslo netutils.is_ipv6_enabled())
    shape: str  # qrouter, qdhcp, ovnmeta
    expect: list  # lines the config must hold ({id}, {router}, {port} filled in)
    absent: list = field(default_factory=list)  # substrings it must not hold
    options: dict | None = None
    router: bool = False  # DHCP: a router port on a 169.254/16 metadata network
    user: str | None = None  # metadata_proxy_user the proxy must run as


DHCP_V6 = ne.DHCP_V6_OPTIONS
AS_NOBODY = {"DEFAULT": {"metadata_proxy_user": "nobody", "metadata_proxy_group": "nogroup"}}

CASES = {
    "l3-dual-stack": Case("l3", True, "qrouter", [
        "bind :::9697", "user root", "group root", "http-request del-header X-Neutron-Network-ID",
        "http-request set-header X-Neutron-Router-ID {id}"]),
    "l3-ipv4-only-metadata-proxy-user": Case("l3", False, "qrouter", [
        "bind 0.0.0.0:9697", "user nobody", "group nogroup",
        "http-request set-header X-Neutron-Router-ID {id}"],
        absent=[":::"], options=AS_NOBODY, user="nobody"),
    "dhcp-ipv6": Case("dhcp", True, "qdhcp", [
        "bind 169.254.169.254:80", "bind fe80::a9fe:a9fe:80 interface {port}",
        "http-request del-header X-Neutron-Router-ID",
        "http-request set-header X-Neutron-Network-ID {id}"], options=DHCP_V6),
    "dhcp-ipv4-only": Case("dhcp", False, "qdhcp", [
        "bind 169.254.169.254:80", "http-request set-header X-Neutron-Network-ID {id}"],
        absent=["fe80"]),
    "dhcp-metadata-network": Case("dhcp", True, "qdhcp", [
        "bind 169.254.169.254:80", "bind fe80::a9fe:a9fe:80 interface {port}",
        "http-request del-header X-Neutron-Network-ID",
        "http-request set-header X-Neutron-Router-ID {router}"], options=DHCP_V6, router=True),
    "ovn": Case("ovn", True, "ovnmeta", [
        "bind 169.254.169.254:80", "http-request add-header X-OVN-Network-ID {id}"],
        absent=["del-header", "set-header"]),
}


@pytest.fixture(scope="module", autouse=True)
def every_agent(agents):
    """The five agents of CASES start side by side."""
    agents.start(*[dict(kind=c.kind, ipv6=c.ipv6_host, options=c.options) for c in CASES.values()])


IDENTITY = {"l3": "X-Neutron-Router-ID", "dhcp": "X-Neutron-Network-ID", "ovn": "X-OVN-Network-ID"}


def neutron_writes_config(agent, case: Case, topo) -> tuple[dict, str]:
    """Neutron's code writes the config for `topo`; returns (what it would run, uuid)."""
    if case.kind == "l3":
        reply = agent.call("router_added", router_id=topo.service_id, dry=True)
        uuid_ = topo.service_id
    elif case.kind == "ovn":
        reply = agent.call("provision", network_id=topo.service_id, dry=True)
        uuid_ = topo.service_id
    else:
        router = str(uuid.uuid4()) if case.router else None
        net = dict(network_id=topo.service_id, port_id=port_id_for(topo),
                   cidr="169.254.169.0/24" if case.router else "192.0.2.0/24",
                   dhcp_ip="169.254.169.2" if case.router else "192.0.2.2",
                   router_id=router, router_ip="169.254.169.1" if router else None)
        reply = agent.call("network_enable", dry=True, **net)
        uuid_ = router or topo.service_id
    assert reply["namespace"] == topo.service_ns, reply
    assert len(reply["recorded"]) == 1, reply
    return reply["recorded"][0], uuid_


def identity_of(case: Case, topo, uuid_: str) -> tuple[str, str]:
    if case.router:
        return "X-Neutron-Router-ID", uuid_
    return IDENTITY[case.kind], topo.service_id


def check_served(case, topo, upstream, uuid_, what):
    """A VM's request (with spoofed headers) is served, and the agent's socket gets
    exactly the config's identity and the VM's address; over IPv6 link-local too when
    the config binds it."""
    header, value = identity_of(case, topo, uuid_)
    vm = topo.vms[0]
    targets = [("http://169.254.169.254/latest/meta-data/", vm.ip)]
    if any("fe80::" in line for line in case.expect):
        targets.append(("http://[fe80::a9fe:a9fe%eth0]/latest/meta-data/", vm.link_local))
    for url, client in targets:
        before = upstream.connection_count
        status, body = ne.curl(vm, url)
        assert (status, body) == (200, b"ok"), f"{what}: {url} gave {status} {body!r}"
        assert upstream.connection_count == before + 1, f"{what}: {url} did not reach the agent once"
        ne.assert_one_identity(upstream.wait_request(before), header, value, client)


@pytest.mark.parametrize("name", list(CASES))
def test_neutron_config_runs(name, agents, shapes, node, dropin, run_cmd):
    case = CASES[name]
    agent = agents.get(case.kind, case.ipv6_host, case.options)
    topo = shapes.make(case.shape, ipv6=case.ipv6_host and case.kind == "dhcp")
    recorded, uuid_ = neutron_writes_config(agent, case, topo)

    # What the agent would run, and the file it wrote.
    conf = os.path.join(agent.state_path, "ovn-metadata-proxy" if case.kind == "ovn"
                        else "ns-metadata-proxy", f"{uuid_}.conf")
    assert recorded["cmd"] == ["haproxy", "-f", conf], recorded
    text = ne.read_file(conf)
    lines = ne.config_lines(text)
    fill = dict(id=topo.service_id, port=topo.bridge, router=uuid_)
    for want in case.expect:
        assert want.format(**fill) in lines, f"{name}: no `{want.format(**fill)}` in\n{text}"
    for bad in case.absent:
        assert bad not in text, f"{name}: `{bad}` in\n{text}"
    assert f"pidfile {recorded['pid_file']}" in lines, text
    assert "daemon" in lines, text

    # 1. -c accepts it.
    check = run_cmd([dropin.haproxy, "-c", "-f", conf])
    assert check.returncode == 0, f"{name}: -c refused Neutron's config: {check.stderr}\n{text}"

    # 2. As the agents run it: ip netns exec NS haproxy -f CONF, PATH finding the drop-in.
    started = run_cmd(["ip", "netns", "exec", topo.service_ns, *recorded["cmd"]], env=dropin.env)
    assert started.returncode == 0, f"{name}: {started.stderr}\n{text}"
    agents.track(recorded["pid_file"], uuid_)
    pid = int(ne.read_file(recorded["pid_file"]).split()[0])
    assert dropin.is_ours(pid), f"pid {pid} is not {dropin.binary}"
    if case.user:
        status = ne.read_file(f"/proc/{pid}/status")
        uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
        assert uids == [str(pwd.getpwnam(case.user).pw_uid)] * 4, f"{name}: runs as {uids}"
    check_served(case, topo, agent.upstream, uuid_, "ip netns exec ... haproxy -f")
    os.kill(pid, signal.SIGTERM)
    ne.wait_for(lambda: not ne.pid_alive(pid), f"pid {pid} to exit on SIGTERM")

    # 3. The same file through the node.
    added = node_mod.ctl(ne.binary_path(), node.control_path, "add", "--netns", topo.service_ns,
                         "-f", conf)
    assert added.returncode == 0, f"{name}: ctl add -f refused it: {added.stderr}\n{text}"
    try:
        check_served(case, topo, agent.upstream, uuid_, "node + ctl add -f")
    finally:
        removed = node_mod.ctl(ne.binary_path(), node.control_path, "remove", uuid_)
    assert removed.returncode == 0, removed.stderr


REAL_HAPROXY = "/usr/sbin/haproxy"


@pytest.mark.parametrize("name", ["ovn", "dhcp-ipv4-only"])
def test_real_haproxy_with_the_same_config_passes_the_vms_headers(name, agents, shapes, run_cmd):
    """The difference, shown with the very file Neutron wrote: haproxy (Debian's 2.6)
    lets the VM's own identity headers and X-Forwarded-For reach the agent's socket --
    OVN's add-header adds the real X-OVN-Network-ID after the VM's, `option forwardfor`
    adds a second X-Forwarded-For, del-header misses X_Neutron_Network_ID -- where the
    test above saw exactly one of each from this binary."""
    if not os.access(REAL_HAPROXY, os.X_OK):
        pytest.skip("no /usr/sbin/haproxy (Debian's haproxy package)")
    case = CASES[name]
    agent = agents.get(case.kind, case.ipv6_host, case.options)
    topo = shapes.make(case.shape)
    recorded, uuid_ = neutron_writes_config(agent, case, topo)
    started = run_cmd(["ip", "netns", "exec", topo.service_ns, REAL_HAPROXY,
                       *recorded["cmd"][1:]])
    assert started.returncode == 0, started.stderr
    agents.track(recorded["pid_file"], uuid_)
    try:
        before = agent.upstream.connection_count
        status, _ = ne.curl(topo.vms[0], "http://169.254.169.254/latest/meta-data/")
        assert status == 200
        lines = ne.header_lines(agent.upstream.wait_request(before))
    finally:
        ne.kill_proxy(recorded["pid_file"], uuid_)
    names = [n.lower() for n, _ in lines]
    identities = [n for n in names if n.replace("_", "-") in ne.IDENTITY_HEADERS]
    header, value = identity_of(case, topo, uuid_)
    assert (header.lower(), value) in [(n.lower(), v) for n, v in lines]
    assert len(identities) > 1, f"haproxy passed only one identity header: {lines}"
    assert names.count("x-forwarded-for") == 2, lines
    assert "forwarded" in names and "x-real-ip" in names, lines
