"""A Neutron agent process, reduced to the part that runs the metadata proxy.

Started by the suite with Debian's /usr/bin/python3 (python3-neutron):

    agent_sim.py --kind l3|dhcp|ovn --control SOCKET -- --config-file FILE ...

It sets itself up as the agent's own `main()` does (neutron/cmd/eventlet: eventlet
monkey-patched first; then the agent's option registration, `config.init`,
`setup_logging`, `setup_privsep`), builds the agent objects Neutron builds, and then
calls Neutron's code when the test asks, over a UNIX socket (one JSON request per
line, one JSON reply per line):

  l3    a ProcessMonitor('router') and a MetadataDriver(agent), as L3NATAgent has;
        `router_added` makes a LegacyRouter (real IptablesManager), initializes it and
        publishes ROUTER AFTER_CREATE, so neutron.agent.metadata.driver's
        after_router_added applies the metadata rules and spawns the proxy;
        `router_removed` publishes BEFORE_DELETE (before_router_removed stops it).
  dhcp  a real DhcpAgent; `network_enable` calls update_isolated_metadata_proxy()
        and `network_disable` disable_isolated_metadata_proxy(), as the agent does
        when a network appears or goes.
  ovn   a real OVN MetadataAgent; `provision` / `teardown` make the calls of its
        provision_datapath() / teardown_datapath() (those also plumb OVS, which the
        suite has none of).
  all   `process` reports what Neutron's ProcessManager sees for a uuid (pid file,
        pid, active, cmdline); `warm` makes a privileged call (privsep starts); `ping`.

With `"dry": true`, network_enable/router_added/provision only ask Neutron's code for
the configuration: ProcessManager.enable() calls the command callback (which writes
the config file) and records the command instead of running it, and nothing is
registered with the process monitor. Section 1 of the suite uses that.
"""

import sys

if __name__ == "__main__":
    # argv[0] as the agent's: iptables_manager names its chains after it at import
    # (neutron-l3-agent-INPUT, ...), and the log says which agent this is.
    _kind = sys.argv[sys.argv.index("--kind") + 1] if "--kind" in sys.argv else ""
    sys.argv[0] = "/usr/bin/" + {"l3": "neutron-l3-agent", "dhcp": "neutron-dhcp-agent",
                                 "ovn": "neutron-ovn-metadata-agent"}.get(_kind, "agent_sim")
    # As neutron/cmd/eventlet/__init__.py: before anything else is imported.
    from neutron.common import eventlet_utils

    eventlet_utils.monkey_patch()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import traceback  # noqa: E402

import eventlet  # noqa: E402
from neutron_lib import constants as n_const  # noqa: E402
from neutron_lib import context as n_context  # noqa: E402
from neutron_lib.callbacks import events, registry, resources  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_log import log as logging  # noqa: E402

from neutron.agent.common import utils as agent_common_utils  # noqa: E402
from neutron.agent.linux import external_process  # noqa: E402
from neutron.common import config as common_config  # noqa: E402
from neutron.conf.agent import common as agent_config  # noqa: E402

LOG = logging.getLogger("nsmp.agent_sim")


def setup(kind, oslo_args):
    """What the agent's main() does before it builds its manager."""
    if kind == "l3":
        from neutron.agent import l3_agent

        l3_agent.register_opts(cfg.CONF)
        common_config.init(oslo_args)
        agent_config.setup_logging()
        agent_config.setup_privsep()
    elif kind == "dhcp":
        from neutron.agent import dhcp_agent

        dhcp_agent.register_options(cfg.CONF)
        common_config.init(oslo_args)
        agent_config.setup_logging()
        agent_config.setup_privsep()
    elif kind == "ovn":
        # neutron/agent/ovn/metadata_agent.py main(), line by line.
        from neutron.conf.agent.metadata import config as meta
        from neutron.conf.agent.ovn.metadata import config as ovn_meta
        from neutron.conf.plugins.ml2.drivers.ovn import ovn_conf

        common_config.register_common_config_options()
        ovn_conf.register_opts()
        ovn_meta.register_meta_conf_opts(meta.SHARED_OPTS)
        ovn_meta.register_meta_conf_opts(meta.UNIX_DOMAIN_METADATA_PROXY_OPTS)
        ovn_meta.register_meta_conf_opts(meta.METADATA_PROXY_HANDLER_OPTS)
        ovn_meta.register_meta_conf_opts(ovn_meta.OVS_OPTS, group="ovs")
        common_config.init(oslo_args)
        common_config.setup_logging()
        ovn_meta.setup_privsep()
    else:
        raise SystemExit(f"unknown agent kind {kind!r}")


@contextlib.contextmanager
def dry_spawn(recorded):
    """ProcessManager.enable() writes the config (Neutron's callback) but runs nothing."""
    real_enable = external_process.ProcessManager.enable
    real_register = external_process.ProcessMonitor.register

    def enable(self, cmd_callback=None, reload_cfg=False, ensure_active=False):
        cmd = (cmd_callback or self.default_cmd_callback)(self.get_pid_file_name())
        recorded.append({"cmd": cmd, "namespace": self.namespace, "uuid": self.uuid,
                         "pid_file": self.get_pid_file_name()})

    external_process.ProcessManager.enable = enable
    external_process.ProcessMonitor.register = lambda *a, **k: None
    try:
        yield
    finally:
        external_process.ProcessManager.enable = real_enable
        external_process.ProcessMonitor.register = real_register


class L3:
    """The part of L3NATAgent the metadata driver uses: conf, process_monitor,
    metadata_driver (neutron/agent/l3/agent.py builds the same three)."""

    def __init__(self, conf):
        from neutron.agent.metadata import driver as metadata_driver

        self.conf = conf
        self.context = n_context.get_admin_context_without_session()
        self.process_monitor = external_process.ProcessMonitor(config=conf, resource_type="router")
        self.driver = agent_common_utils.load_interface_driver(conf)
        self.metadata_driver = metadata_driver.MetadataDriver(self)
        self.routers = {}

    def router_added(self, router_id, dry=False):
        from neutron.agent.l3 import legacy_router
        from oslo_utils import netutils

        ri = legacy_router.LegacyRouter(agent=self, router_id=router_id,
                                        router={"id": router_id, "routes": []},
                                        agent_conf=self.conf, interface_driver=self.driver,
                                        use_ipv6=netutils.is_ipv6_enabled())
        ri.initialize(self.process_monitor)
        self.routers[router_id] = ri
        recorded = []
        with dry_spawn(recorded) if dry else contextlib.nullcontext():
            registry.publish(resources.ROUTER, events.AFTER_CREATE, self,
                             payload=events.DBEventPayload(self.context, resource_id=router_id,
                                                           states=(ri,)))
        return {"recorded": recorded, "namespace": ri.ns_name}

    def router_removed(self, router_id):
        ri = self.routers.pop(router_id)
        registry.publish(resources.ROUTER, events.BEFORE_DELETE, self,
                         payload=events.DBEventPayload(self.context, resource_id=router_id,
                                                       states=(ri,)))
        return {}

    def process_manager(self, uuid, namespace):
        return self.metadata_driver._get_metadata_proxy_process_manager(
            uuid, self.conf, ns_name=namespace)


class Dhcp:
    def __init__(self, conf):
        from neutron.agent.dhcp import agent as dhcp_agent

        self.conf = conf
        self.agent = dhcp_agent.DhcpAgent(host=conf.host, conf=conf)

    def network(self, network_id, port_id, cidr, dhcp_ip, router_id=None, router_ip=None):
        """The NetModel the server sends for a network with our DHCP port on it (and,
        for the metadata access network, a router interface on 169.254.0.0/16)."""
        from neutron.agent.linux import dhcp
        from neutron.common import utils as common_utils

        subnets = [{"id": network_id[:8] + "-subnet", "cidr": cidr, "enable_dhcp": True,
                    "ip_version": 4, "gateway_ip": None, "network_id": network_id}]
        ports = [{"id": port_id, "network_id": network_id, "admin_state_up": True,
                  "device_owner": n_const.DEVICE_OWNER_DHCP, "mac_address": "fa:16:3e:00:00:02",
                  "device_id": common_utils.get_dhcp_agent_device_id(network_id, self.conf.host),
                  "fixed_ips": [{"subnet_id": subnets[0]["id"], "ip_address": dhcp_ip}]}]
        if router_id:
            ports.append({"id": network_id[:8] + "-rport", "network_id": network_id,
                          "admin_state_up": True,
                          "device_owner": n_const.DEVICE_OWNER_ROUTER_INTF,
                          "device_id": router_id, "mac_address": "fa:16:3e:00:00:01",
                          "fixed_ips": [{"subnet_id": subnets[0]["id"],
                                         "ip_address": router_ip}]})
        return dhcp.NetModel({"id": network_id, "project_id": "nsmp", "subnets": subnets,
                              "non_local_subnets": [], "ports": ports})

    def network_enable(self, dry=False, **net):
        network = self.network(**net)
        recorded = []
        with dry_spawn(recorded) if dry else contextlib.nullcontext():
            self.agent.update_isolated_metadata_proxy(network)
        return {"recorded": recorded, "namespace": network.namespace}

    def network_disable(self, **net):
        self.agent.disable_isolated_metadata_proxy(self.network(**net))
        return {}

    def process_manager(self, uuid, namespace):
        from neutron.agent.metadata import driver as metadata_driver

        return metadata_driver.MetadataDriver._get_metadata_proxy_process_manager(
            uuid, self.conf, ns_name=namespace)


class Ovn:
    def __init__(self, conf):
        from neutron.agent.ovn.metadata import agent as ovn_agent

        self.conf = conf
        self.agent = ovn_agent.MetadataAgent(conf)

    def namespace(self, network_id):
        return self.agent._get_namespace_name(network_id)

    def provision(self, network_id, dry=False):
        """The metadata-proxy step of MetadataAgent.provision_datapath()."""
        from neutron.agent.ovn.metadata import driver as metadata_driver

        namespace = self.namespace(network_id)
        recorded = []
        with dry_spawn(recorded) if dry else contextlib.nullcontext():
            metadata_driver.MetadataDriver.spawn_monitored_metadata_proxy(
                self.agent._process_monitor, namespace, n_const.METADATA_PORT, self.conf,
                bind_address=n_const.METADATA_V4_IP, network_id=network_id)
        return {"recorded": recorded, "namespace": namespace}

    def teardown(self, network_id):
        """The metadata-proxy step of MetadataAgent.teardown_datapath()."""
        from neutron.agent.ovn.metadata import driver as metadata_driver

        metadata_driver.MetadataDriver.destroy_monitored_metadata_proxy(
            self.agent._process_monitor, network_id, self.conf, self.namespace(network_id))
        return {}

    def process_manager(self, uuid, namespace):
        from neutron.agent.ovn.metadata import driver as metadata_driver

        return metadata_driver.MetadataDriver._get_metadata_proxy_process_manager(
            uuid, self.conf, ns_name=namespace)


def describe_process(agent, uuid, namespace):
    pm = agent.process_manager(uuid, namespace)
    return {"pid_file": pm.get_pid_file_name(), "pid": pm.pid, "active": pm.active,
            "cmdline": pm.cmdline}


def handle(agent, request):
    op = request.pop("op")
    if op == "ping":
        return {}
    if op == "warm":
        # An agent's first privileged calls start its privsep daemons (one per
        # context, each through rootwrap); the suite makes them early so that
        # agents warm up side by side: `default` (commands, kill) and `namespace_cmd`.
        from neutron.agent.linux import ip_lib
        from neutron.agent.linux import utils as linux_utils

        linux_utils.execute(["true"], run_as_root=True, privsep_exec=True)
        return {"namespaces": len(ip_lib.list_network_namespaces())}
    if op == "process":
        return describe_process(agent, request["uuid"], request["namespace"])
    method = getattr(agent, op, None)
    if method is None or op.startswith("_"):
        raise ValueError(f"unknown op {op!r} for {type(agent).__name__}")
    return method(**request)


def serve_connection(agent, conn):
    with conn, conn.makefile("rwb") as f:
        for line in f:
            try:
                reply = {"ok": True, **handle(agent, json.loads(line))}
            except Exception:  # reported to the test, which fails with it
                LOG.exception("request failed: %s", line)
                reply = {"ok": False, "error": traceback.format_exc()}
            f.write(json.dumps(reply).encode() + b"\n")
            f.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", required=True, choices=("l3", "dhcp", "ovn"))
    parser.add_argument("--control", required=True)
    args, oslo_args = parser.parse_known_args()
    if oslo_args[:1] == ["--"]:
        oslo_args = oslo_args[1:]
    setup(args.kind, oslo_args)
    agent = {"l3": L3, "dhcp": Dhcp, "ovn": Ovn}[args.kind](cfg.CONF)
    server = eventlet.listen(args.control, family=socket.AF_UNIX)
    LOG.info("agent_sim %s ready on %s (pid %d)", args.kind, args.control, os.getpid())
    pool = eventlet.GreenPool()
    while True:
        conn, _ = server.accept()
        pool.spawn_n(serve_connection, agent, conn)


if __name__ == "__main__":
    sys.exit(main())
