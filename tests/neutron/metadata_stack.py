"""What stands behind the proxy in section 3, all real but the Neutron server:

  proxy --UNIX socket--> neutron-metadata-agent (Debian's, unmodified)
                              | oslo.messaging over a private RabbitMQ node
                              |   get_ports / report_state -> plugin_rpc.py (fixture)
                              | HTTP, X-Instance-ID + HMAC signature + X-Tenant-ID
                              v
                         ns-metadata-proxy metadata-server --nova-listen (Nova's API)

The instances (tests/e2e/instances.py) are the single source of both fixtures: the
ports the RPC server answers with and the data file Nova's side serves.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import uuid

import instances as inst_mod
import neutron_env as ne
import rabbit as rabbit_mod
from procs import Daemon

METADATA_AGENT = "/usr/bin/neutron-metadata-agent"
PLUGIN_RPC = os.path.join(ne.HERE, "plugin_rpc.py")


def missing() -> str | None:
    if not os.access(METADATA_AGENT, os.X_OK):
        return f"{METADATA_AGENT} is missing: run scripts/install-deps.sh (neutron-metadata-agent)"
    return rabbit_mod.missing()


def neutron_ports(instances: list, extra: list | None = None) -> list[dict]:
    """The Neutron ports of `instances` as the server's get_ports returns them."""
    ports = []
    for inst in instances:
        ports.append({
            "id": str(uuid.uuid4()), "network_id": inst.network_id, "device_id": inst.uuid,
            "device_owner": "compute:nova", "tenant_id": inst.project_id,
            "project_id": inst.project_id, "mac_address": inst.mac, "admin_state_up": True,
            "fixed_ips": [{"subnet_id": inst.network_id[:8] + "-subnet",
                           "ip_address": inst.ip}],
        })
    return ports + (extra or [])


class MetadataStack:
    def __init__(self, binary: str, instances: list, network_id: str, rabbit):
        """Chooses the paths (`socket` is where the agent will listen); start() starts.
        `rabbit` (rabbit.Rabbit, maybe still booting) is the caller's to stop."""
        self.binary, self.instances, self.network_id = binary, instances, network_id
        self.rabbit = rabbit
        self.dir = ne.public_dir("stack")
        self.secret = uuid.uuid4().hex
        self.socket = os.path.join(self.dir, "state", "metadata_proxy")
        self.calls_path = os.path.join(self.dir, "rpc-calls.jsonl")
        self.daemons: list[Daemon] = []

    def start(self) -> None:
        binary, instances, network_id = self.binary, self.instances, self.network_id
        try:
            self.rabbit.wait_ready()
            ports_path = os.path.join(self.dir, "ports.json")
            with open(ports_path, "w") as f:
                json.dump(neutron_ports(instances), f, indent=1)
            self.rpc = self._start("plugin-rpc", [
                ne.DEBIAN_PYTHON, PLUGIN_RPC, "--transport-url", self.rabbit.url,
                "--ports", ports_path, "--calls", self.calls_path])
            ne.wait_for(lambda: self.calls("ready"), "the RPC server to be ready",
                        timeout=60, describe=self.describe)

            data = os.path.join(self.dir, "nova-data.json")
            inst_mod.data_file(data, None, network_id, instances)
            self.nova_port = rabbit_mod.free_port()
            secret_file = os.path.join(self.dir, "shared-secret")
            with open(os.open(secret_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
                f.write(self.secret)
            self.nova = self._start("nova", [
                binary, "metadata-server", "--data", data,
                "--nova-listen", f"127.0.0.1:{self.nova_port}", "--shared-secret-file", secret_file,
                "--debug"])
            ne.wait_for(lambda: rabbit_mod.accepts(self.nova_port), "Nova's side to listen",
                        timeout=20, describe=self.describe)

            conf = os.path.join(self.dir, "metadata_agent.ini")
            self._write_agent_conf(conf)
            self.agent = self._start("neutron-metadata-agent", [METADATA_AGENT, "--config-file", conf])
            # Started: its socket accepts, and it reported its state (a call, at start).
            self.agent.wait_for_unix_socket(self.socket, timeout=120)
            ne.wait_for(lambda: self.calls("report_state"), "the agent's first report_state",
                        timeout=120, describe=self.describe)
        except BaseException:
            self.stop()
            raise

    def _start(self, name: str, args: list[str]) -> Daemon:
        env = {"PATH": ne.SYSTEM_PATH, "HOME": self.dir, "LANG": "C.UTF-8"}
        d = Daemon(name, args, os.path.join(self.dir, f"{name}.log"), env=env)
        self.daemons.append(d)
        return d

    def _write_agent_conf(self, path: str) -> None:
        conf = configparser.RawConfigParser()
        for k, v in {
            "host": f"nsmp-neutron-{os.getpid()}", "debug": "True",
            "log_file": os.path.join(self.dir, "metadata-agent.log"),
            "default_log_levels": ne.LOG_LEVELS,
            "state_path": os.path.join(self.dir, "state"),
            "metadata_proxy_socket": self.socket,
            "metadata_proxy_shared_secret": self.secret,
            "nova_metadata_host": "127.0.0.1", "nova_metadata_port": str(self.nova_port),
            "transport_url": self.rabbit.url,
        }.items():
            conf.set("DEFAULT", k, v)
        conf.add_section("oslo_concurrency")
        conf.set("oslo_concurrency", "lock_path", os.path.join(self.dir, "lock"))
        with open(path, "w") as f:
            conf.write(f)

    def calls(self, method: str | None = None) -> list[dict]:
        """The RPC calls the server answered (plugin_rpc.py's log)."""
        try:
            with open(self.calls_path) as f:
                entries = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []
        return [e for e in entries if method is None or e["method"] == method]

    def agent_log(self) -> str:
        try:
            with open(os.path.join(self.dir, "metadata-agent.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def describe(self) -> str:
        parts = [self.rabbit.describe()] + [d.describe() for d in self.daemons]
        tail = "\n".join(self.agent_log().splitlines()[-40:])
        return "\n\n".join(parts + [f"--- metadata-agent.log tail ---\n{tail}"])

    def stop(self) -> None:
        for d in reversed(self.daemons):
            d.stop()
            for pid in ne.session_members(d.pid):
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
        self.daemons.clear()
        shutil.rmtree(self.dir, ignore_errors=True)
