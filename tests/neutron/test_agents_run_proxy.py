"""Section 2: Neutron's agents start, watch and stop this binary as `haproxy`.

Each agent process (agent_sim.py) runs Neutron's own code: the proxy is started by
ProcessManager.enable() as `neutron-rootwrap <conf> ip netns exec NS haproxy -f CONF`
over Debian's rootwrap filters (the drop-in is found through rootwrap's exec_dirs and
PATH only), killed through privsep, and watched by a ProcessMonitor checking every
second (check_child_processes_interval = 1). Every time: Neutron sees it active, it is
this binary, a VM's request (spoofing every identity) reaches the agent's socket with
exactly one identity and one X-Forwarded-For, kill -9 is followed by a respawn, and
Neutron's stop ends it -- with a request in flight still answered where Neutron sends
SIGTERM (L3, DHCP), at once where it sends SIGKILL (OVN) -- leaving no config or pid file.
"""

from __future__ import annotations

import os
import re

import pytest

import neutron_env as ne
import topology
from conftest import port_id_for
from lifecycle import (assert_cleaned_up, assert_ours_active, kill_and_respawn, served,
                       stop_with_request_in_flight, pid_file_of)

METADATA_URL = "http://169.254.169.254/latest/meta-data/"
METADATA_V6_URL = "http://[fe80::a9fe:a9fe%eth0]/latest/meta-data/"


@pytest.fixture(scope="module", autouse=True)
def every_agent(agents):
    agents.start(dict(kind="l3"), dict(kind="dhcp", options=ne.DHCP_V6_OPTIONS), dict(kind="ovn"))


def iptables_save(namespace: str, tool: str = "iptables-save") -> str:
    return topology.run(["ip", "netns", "exec", namespace, tool]).stdout


def test_l3_agent(agents, shapes, dropin):
    """after_router_added() with a real IptablesManager; before_router_removed()."""
    agent = agents.get("l3")
    topo = shapes.make("qrouter")
    vm = topo.vms[0]
    rid, ns = topo.service_id, topo.service_ns
    agents.track(pid_file_of(agent, rid), rid)
    agent.call("router_added", router_id=rid)
    proc = agent.wait_active(rid, ns)
    assert_ours_active(agent, dropin, rid, ns, proc)

    # Neutron's rules, as its IptablesManager wrote them (chains named after the agent).
    rules = iptables_save(ns)
    for rule in (
        r"-A neutron-l3-agent-PREROUTING -d 169\.254\.169\.254/32 -i qr-\+ -p tcp -m tcp "
        r"--dport 80 -j MARK --set-xmark 0x1/0xffff",
        r"-A neutron-l3-agent-PREROUTING -d 169\.254\.169\.254/32 -i qr-\+ -p tcp -m tcp "
        r"--dport 80 -j REDIRECT --to-ports 9697",
        r"-A neutron-l3-agent-INPUT -m mark --mark 0x1/0xffff -j ACCEPT",
        r"-A neutron-l3-agent-INPUT -p tcp -m tcp --dport 9697 -j DROP",
    ):
        assert re.search(rule, rules), f"no rule /{rule}/ in\n{rules}"
    # A VM's request crosses them; the proxy port itself is closed to the VM.
    served(agent, vm, METADATA_URL, "X-Neutron-Router-ID", rid, vm.ip)
    direct = topology.run(vm.exec_args("curl", "-s", "--max-time", "2", "-o", "/dev/null",
                                       f"http://{topology.ROUTER_IP}:9697/"), check=False)
    assert direct.returncode == 28, f"the VM reached port 9697 directly (curl {direct.returncode})"

    proc = kill_and_respawn(agent, dropin, rid, ns, proc)
    served(agent, vm, METADATA_URL, "X-Neutron-Router-ID", rid, vm.ip)

    stop_with_request_in_flight(agent, vm, METADATA_URL, ns, 9697, proc,
                                lambda: agent.call("router_removed", router_id=rid))
    assert_cleaned_up(os.path.join(agent.state_path, "ns-metadata-proxy", f"{rid}.conf"),
                      pid_file_of(agent, rid))


def test_dhcp_agent(agents, shapes, dropin):
    """The DHCP agent's spawn_monitored_metadata_proxy() call (via
    update_isolated_metadata_proxy()), IPv4 and IPv6 link-local; its disable."""
    agent = agents.get("dhcp", options=ne.DHCP_V6_OPTIONS)
    topo = shapes.make("qdhcp", ipv6=True)
    vm = topo.vms[0]
    net, ns = topo.service_id, topo.service_ns
    network = dict(network_id=net, port_id=port_id_for(topo), cidr="192.0.2.0/24",
                   dhcp_ip=topology.DHCP_IP)
    agents.track(pid_file_of(agent, net), net)
    agent.call("network_enable", **network)
    proc = agent.wait_active(net, ns)
    assert_ours_active(agent, dropin, net, ns, proc)
    conf = os.path.join(agent.state_path, "ns-metadata-proxy", f"{net}.conf")
    assert f"bind fe80::a9fe:a9fe:80 interface {topo.bridge}" in ne.config_lines(ne.read_file(conf))

    served(agent, vm, METADATA_URL, "X-Neutron-Network-ID", net, vm.ip)
    served(agent, vm, METADATA_V6_URL, "X-Neutron-Network-ID", net, vm.link_local)

    proc = kill_and_respawn(agent, dropin, net, ns, proc)
    served(agent, vm, METADATA_V6_URL, "X-Neutron-Network-ID", net, vm.link_local)

    stop_with_request_in_flight(agent, vm, METADATA_URL, ns, 80, proc,
                                lambda: agent.call("network_disable", **network))
    assert_cleaned_up(conf, pid_file_of(agent, net))


def test_ovn_metadata_agent(agents, shapes, dropin):
    """The OVN agent's spawn and destroy (SIGKILL: nothing in flight survives that)."""
    agent = agents.get("ovn")
    topo = shapes.make("ovnmeta")
    vm = topo.vms[0]
    net, ns = topo.service_id, topo.service_ns
    agents.track(pid_file_of(agent, net), net)
    agent.call("provision", network_id=net)
    proc = agent.wait_active(net, ns)
    assert_ours_active(agent, dropin, net, ns, proc)
    # OVN's config says add-header: the VM's own X-OVN-Network-ID must still not pass.
    served(agent, vm, METADATA_URL, "X-OVN-Network-ID", net, vm.ip)

    proc = kill_and_respawn(agent, dropin, net, ns, proc)
    served(agent, vm, METADATA_URL, "X-OVN-Network-ID", net, vm.ip)

    agent.call("teardown", network_id=net)
    ne.wait_for(lambda: not ne.pid_alive(proc["pid"]), "the proxy to end on SIGKILL")
    assert not ne.listening(ns, 80)
    assert_cleaned_up(os.path.join(agent.state_path, "ovn-metadata-proxy", f"{net}.conf"),
                      pid_file_of(agent, net))
