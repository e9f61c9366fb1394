"""A Neutron-shaped network topology built from network namespaces, in one of the
two shapes Neutron runs the metadata proxy in:

  "qrouter" (L3 agent)                   qrouter-<router id>
    VM eth0 192.0.2.1x/24 --veth--> tapXXXXXXXX-N (port of bridge qr-XXXXXXXX-XX)
    default via 192.0.2.1               qr-XXXXXXXX-XX 192.0.2.1/24
                                        nat PREROUTING -d 169.254.169.254 -i qr-+
                                            --dport 80 -j REDIRECT --to-ports 9697
                                        proxy: --router_id, listens on 0.0.0.0:9697

  "qdhcp" (DHCP agent, isolated network) qdhcp-<network id>
    VM eth0 192.0.2.1x/24 --veth--> tapXXXXXXXX-N (port of bridge ns-XXXXXXXX-XX)
    169.254.169.254 via 192.0.2.2       ns-XXXXXXXX-XX 192.0.2.2/24 + 169.254.169.254/32
    (the host route DHCP option 121     proxy: --network_id, listens on 169.254.169.254:80
     gives the VM)

  "ovnmeta" (OVN metadata agent)         ovnmeta-<network id>, built like "qdhcp"

Every link is created directly inside a namespace we own (never in the host
namespace), so deleting the namespaces removes every device and iptables rule.
Names carry the creating process id, so a later run can sweep what a killed run
left behind without touching a run that is still going.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
from dataclasses import dataclass, field

CMD_TIMEOUT = 20  # seconds for any single ip/iptables call

VM_PREFIX = "nsmp-e2e-"
# Router and network ids are UUIDs: a fixed first group marks ours, the last group
# is our pid.
ID_MARK = "e2e0e2e0"
SERVICE_PREFIXES = tuple(kind + "-" + ID_MARK + "-" for kind in ("qrouter", "qdhcp", "ovnmeta"))

SUBNET_PREFIX = "192.0.2."
ROUTER_IP = SUBNET_PREFIX + "1"
DHCP_IP = SUBNET_PREFIX + "2"
METADATA_IP = "169.254.169.254"
ROUTER_PROXY_PORT = 9697  # behind the REDIRECT rule


class TopologyError(RuntimeError):
    pass


def run(args: list[str], check: bool = True, timeout: float = CMD_TIMEOUT) -> subprocess.CompletedProcess:
    """Runs a command, bounded in time; raises with its stderr when check fails."""
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise TopologyError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


def netns_available() -> str | None:
    """Returns None when namespaces can be built here, else why not."""
    if os.geteuid() != 0:
        return "end-to-end tests need root (network namespaces and iptables)"
    for tool in ("ip", "iptables"):
        if shutil.which(tool) is None:
            return f"end-to-end tests need `{tool}` (scripts/install-deps.sh installs it)"
    probe = f"{VM_PREFIX}{os.getpid()}-probe-{secrets.token_hex(3)}"
    try:
        made = run(["ip", "netns", "add", probe], check=False)
        if made.returncode != 0:
            return f"`ip netns add` does not work here: {made.stderr.strip()}"
    finally:
        run(["ip", "netns", "delete", probe], check=False)
    return None


def list_netns() -> list[str]:
    out = run(["ip", "netns", "list"]).stdout
    # Lines look like "name" or "name (id: 3)".
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _owner_pid(name: str) -> int | None:
    """The pid encoded in one of our namespace names, or None if not ours."""
    try:
        if name.startswith(VM_PREFIX):
            return int(name[len(VM_PREFIX) :].split("-")[0])
        if name.startswith(SERVICE_PREFIXES):
            return int(name.rsplit("-", 1)[1])
    except ValueError:
        return None
    return None


def _pid_alive(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}")


def delete_netns(name: str) -> None:
    """Ends the processes we started inside `name` (by pid), then deletes it."""
    pids = run(["ip", "netns", "pids", name], check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    run(["ip", "netns", "delete", name], check=False)


def sweep_leftovers() -> list[str]:
    """Deletes namespaces of earlier runs whose process is gone; returns their names."""
    swept = []
    for name in list_netns():
        pid = _owner_pid(name)
        if pid is not None and pid != os.getpid() and not _pid_alive(pid):
            delete_netns(name)
            swept.append(name)
    return swept


@dataclass
class Vm:
    name: str  # namespace
    ip: str
    mac: str
    index: int

    def exec_args(self, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *args]


@dataclass
class Topology:
    kind: str  # "qrouter" or "qdhcp"
    service_id: str  # the router id (qrouter) or the network id (qdhcp)
    service_ns: str  # where the proxy runs: qrouter-<id> or qdhcp-<id>
    bridge: str
    vms: list[Vm] = field(default_factory=list)
    _created: list[str] = field(default_factory=list)  # still to delete
    _made: list[str] = field(default_factory=list)  # every namespace ever made

    @classmethod
    def make_names(cls, kind: str, port_prefix: str | None = None) -> "Topology":
        """Fresh names for a `kind` namespace ("qrouter", "qdhcp", or "ovnmeta": OVN's
        metadata namespace, built like "qdhcp"); the port is `port_prefix` (default
        "qr-" / "ns-") + 8 hex digits + "-" + 2."""
        assert kind in ("qrouter", "qdhcp", "ovnmeta"), kind
        pid = os.getpid()
        r = secrets.token_hex
        ident = f"{ID_MARK}-{r(2)}-4{r(2)[:3]}-8{r(2)[:3]}-{pid:012d}"
        prefix = port_prefix or ("qr-" if kind == "qrouter" else "ns-")
        port = prefix + r(4) + "-" + r(1)
        return cls(kind=kind, service_id=ident, service_ns=f"{kind}-{ident}", bridge=port)

    @property
    def proxy_address(self) -> tuple[str, int]:
        """Where the proxy listens inside service_ns."""
        return ("0.0.0.0", ROUTER_PROXY_PORT) if self.kind == "qrouter" else (METADATA_IP, 80)

    def service_exec(self, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.service_ns, *args]

    def _add_netns(self, name: str) -> None:
        run(["ip", "netns", "add", name])
        self._created.append(name)
        self._made.append(name)
        run(["ip", "-n", name, "link", "set", "lo", "up"])

    def build_service(self, l3_rules: bool = True) -> None:
        """The router or DHCP namespace with its port on the VMs' network; with
        `l3_rules` False a router gets no iptables rules (Neutron's code adds them)."""
        self._add_netns(self.service_ns)
        ns = ["ip", "-n", self.service_ns]
        run(ns + ["link", "add", self.bridge, "type", "bridge"])
        if self.kind != "qrouter":
            run(ns + ["addr", "add", f"{DHCP_IP}/24", "dev", self.bridge])
            run(ns + ["addr", "add", f"{METADATA_IP}/32", "dev", self.bridge])
            run(ns + ["link", "set", self.bridge, "up"])
            return
        run(ns + ["addr", "add", f"{ROUTER_IP}/24", "dev", self.bridge])
        run(ns + ["link", "set", self.bridge, "up"])
        if not l3_rules:
            return
        ipt = self.service_exec("iptables", "-w", "5")
        # The L3 agent's rules (see NEUTRON-REFERENCE.md): redirect, mark, and only
        # marked traffic may reach the proxy port.
        port = str(ROUTER_PROXY_PORT)
        run(ipt + ["-t", "nat", "-A", "PREROUTING", "-d", f"{METADATA_IP}/32", "-i", "qr-+",
                   "-p", "tcp", "--dport", "80", "-j", "REDIRECT", "--to-ports", port])
        run(ipt + ["-t", "mangle", "-A", "PREROUTING", "-d", f"{METADATA_IP}/32", "-i", "qr-+",
                   "-p", "tcp", "--dport", "80", "-j", "MARK", "--set-xmark", "0x1/0xffff"])
        run(ipt + ["-A", "INPUT", "-p", "tcp", "--dport", port,
                   "-m", "mark", "--mark", "0x1/0xffff", "-j", "ACCEPT"])
        run(ipt + ["-A", "INPUT", "-p", "tcp", "--dport", port, "-j", "DROP"])

    def add_vm(self) -> Vm:
        index = len(self.vms) + 1
        name = f"{VM_PREFIX}{os.getpid()}-vm{index}-{secrets.token_hex(3)}"
        ip = f"{SUBNET_PREFIX}{10 + index}"
        mac = f"fa:16:3e:e2:e0:{index:02x}"  # OpenStack's MAC prefix
        self._add_netns(name)
        tap = f"tap{self.bridge[3:11]}-{index}"
        # Created in the service namespace, peer placed straight into the VM's:
        # nothing ever exists in the host namespace.
        run(["ip", "-n", self.service_ns, "link", "add", tap, "type", "veth",
             "peer", "name", "eth0", "address", mac, "netns", name])
        run(["ip", "-n", self.service_ns, "link", "set", tap, "master", self.bridge, "up"])
        vm = ["ip", "-n", name]
        run(vm + ["addr", "add", f"{ip}/24", "dev", "eth0"])
        run(vm + ["link", "set", "eth0", "up"])
        if self.kind == "qrouter":
            run(vm + ["route", "add", "default", "via", ROUTER_IP])
        else:
            run(vm + ["route", "add", f"{METADATA_IP}/32", "via", DHCP_IP])
        v = Vm(name=name, ip=ip, mac=mac, index=index)
        self.vms.append(v)
        return v

    def destroy(self) -> None:
        """Deletes everything this topology created; safe to call twice."""
        while self._created:
            delete_netns(self._created.pop())
        self.vms.clear()

    def remaining(self) -> list[str]:
        """Names of our namespaces that still exist (for the cleanup check)."""
        return [n for n in list_netns() if n in self._made]
