"""The Neutron server's side of the two RPC interfaces neutron-metadata-agent uses,
answered from a fixture. Run with Debian's /usr/bin/python3 (python3-oslo.messaging):

    plugin_rpc.py --transport-url rabbit://... --ports PORTS.json --calls CALLS.jsonl

- topic `q-plugin` (neutron_lib.agent.topics.PLUGIN), namespace None
  (RPC_NAMESPACE_METADATA), version 1.0: `get_ports(context, filters)`, as
  neutron/api/rpc/handlers/metadata_rpc.py's MetadataRpcCallback serves it. The agent
  (neutron/agent/metadata/agent.py, MetadataPluginAPI) filters by `device_id` +
  `device_owner` (a router's interfaces), `network_id`, `fixed_ips: {ip_address: [..]}`
  or `mac_address` (an IPv6 link-local client).
- topic `q-reports-plugin` (topics.REPORTS), namespace None (RPC_NAMESPACE_STATE),
  version 1.2: `report_state(context, agent_state, time)` (neutron/agent/rpc.py
  PluginReportStateAPI; the server side is AgentExtRpcCallback), answered "alive".

PORTS.json is a list of Neutron port dicts; it is read again for every call, so a test
may rewrite it (atomically). Every call is appended to CALLS.jsonl (method, arguments,
number of ports returned) so the tests can see what the agent asked.
"""

import argparse
import json
import threading

import oslo_messaging
from oslo_config import cfg

SERVER = "nsmp-neutron-server"


class Calls:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def add(self, entry):
        with self.lock, open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")


def port_matches(port, filters):
    for key, wanted in filters.items():
        if key == "fixed_ips":
            addresses = {ip["ip_address"] for ip in port.get("fixed_ips", [])}
            if not addresses & set(wanted.get("ip_address", [])):
                return False
        elif port.get(key) not in wanted:
            return False
    return True


class MetadataRpc:
    target = oslo_messaging.Target(version="1.0")

    def __init__(self, ports_path, calls):
        self.ports_path = ports_path
        self.calls = calls

    def get_ports(self, context, filters):
        with open(self.ports_path) as f:
            ports = json.load(f)
        found = [p for p in ports if port_matches(p, filters)]
        self.calls.add({"method": "get_ports", "filters": filters, "found": len(found)})
        return found


class StateRpc:
    target = oslo_messaging.Target(version="1.2")

    def __init__(self, calls):
        self.calls = calls

    def report_state(self, context, **kwargs):
        state = kwargs.get("agent_state", {}).get("agent_state", {})
        self.calls.add({"method": "report_state", "binary": state.get("binary"),
                        "agent_type": state.get("agent_type"),
                        "start_flag": state.get("start_flag", False)})
        return "alive"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport-url", required=True)
    parser.add_argument("--ports", required=True)
    parser.add_argument("--calls", required=True)
    args = parser.parse_args()
    # neutron-server's exchange (neutron/common/config.py sets it for every process).
    oslo_messaging.set_transport_defaults(control_exchange="neutron")
    cfg.CONF([], project="nsmp-plugin-rpc")
    transport = oslo_messaging.get_rpc_transport(cfg.CONF, url=args.transport_url)
    calls = Calls(args.calls)
    servers = [
        oslo_messaging.get_rpc_server(
            transport, oslo_messaging.Target(topic="q-plugin", server=SERVER),
            [MetadataRpc(args.ports, calls)], executor="threading"),
        oslo_messaging.get_rpc_server(
            transport, oslo_messaging.Target(topic="q-reports-plugin", server=SERVER),
            [StateRpc(calls)], executor="threading"),
    ]
    for s in servers:
        s.start()
    calls.add({"method": "ready"})
    threading.Event().wait()


if __name__ == "__main__":
    main()
