"""A Neutron-shaped network topology built from network namespaces.

    VM namespace(s)                      qrouter-<router id>
    eth0 192.0.2.1x/24  --veth-->  tapXXXXXXXX-N (port of bridge qr-XXXXXXXX)
    default via 192.0.2.1               qr-XXXXXXXX 192.0.2.1/24
                                        nat PREROUTING -d 169.254.169.254 -i qr-+
                                            --dport 80 -j REDIRECT --to-ports 9697

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
# Router ids are UUIDs: a fixed first group marks ours, the last group is our pid.
ROUTER_MARK = "e2e0e2e0"
ROUTER_PREFIX = "qrouter-" + ROUTER_MARK + "-"

SUBNET_PREFIX = "192.0.2."
GATEWAY = SUBNET_PREFIX + "1"
METADATA_IP = "169.254.169.254"
PROXY_PORT = 9697


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
        if name.startswith(ROUTER_PREFIX):
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
    router_id: str
    router_ns: str
    bridge: str
    vms: list[Vm] = field(default_factory=list)
    _created: list[str] = field(default_factory=list)  # still to delete
    _made: list[str] = field(default_factory=list)  # every namespace ever made

    @classmethod
    def make_names(cls) -> "Topology":
        pid = os.getpid()
        r = secrets.token_hex
        router_id = f"{ROUTER_MARK}-{r(2)}-4{r(2)[:3]}-8{r(2)[:3]}-{pid:012d}"
        return cls(router_id=router_id, router_ns="qrouter-" + router_id, bridge="qr-" + r(4) + "-" + r(1))

    def router_exec(self, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.router_ns, *args]

    def _add_netns(self, name: str) -> None:
        run(["ip", "netns", "add", name])
        self._created.append(name)
        self._made.append(name)
        run(["ip", "-n", name, "link", "set", "lo", "up"])

    def build_router(self) -> None:
        self._add_netns(self.router_ns)
        ns = ["ip", "-n", self.router_ns]
        run(ns + ["link", "add", self.bridge, "type", "bridge"])
        run(ns + ["addr", "add", f"{GATEWAY}/24", "dev", self.bridge])
        run(ns + ["link", "set", self.bridge, "up"])
        ipt = self.router_exec("iptables", "-w", "5")
        # The L3 agent's rules (see NEUTRON-REFERENCE.md): redirect, mark, and only
        # marked traffic may reach the proxy port.
        run(ipt + ["-t", "nat", "-A", "PREROUTING", "-d", f"{METADATA_IP}/32", "-i", "qr-+",
                   "-p", "tcp", "--dport", "80", "-j", "REDIRECT", "--to-ports", str(PROXY_PORT)])
        run(ipt + ["-t", "mangle", "-A", "PREROUTING", "-d", f"{METADATA_IP}/32", "-i", "qr-+",
                   "-p", "tcp", "--dport", "80", "-j", "MARK", "--set-xmark", "0x1/0xffff"])
        run(ipt + ["-A", "INPUT", "-p", "tcp", "--dport", str(PROXY_PORT),
                   "-m", "mark", "--mark", "0x1/0xffff", "-j", "ACCEPT"])
        run(ipt + ["-A", "INPUT", "-p", "tcp", "--dport", str(PROXY_PORT), "-j", "DROP"])

    def add_vm(self) -> Vm:
        index = len(self.vms) + 1
        name = f"{VM_PREFIX}{os.getpid()}-vm{index}-{secrets.token_hex(3)}"
        ip = f"{SUBNET_PREFIX}{10 + index}"
        mac = f"fa:16:3e:e2:e0:{index:02x}"  # OpenStack's MAC prefix
        self._add_netns(name)
        tap = f"tap{self.bridge[3:11]}-{index}"
        # Created in the router namespace, peer placed straight into the VM's:
        # nothing ever exists in the host namespace.
        run(["ip", "-n", self.router_ns, "link", "add", tap, "type", "veth",
             "peer", "name", "eth0", "address", mac, "netns", name])
        run(["ip", "-n", self.router_ns, "link", "set", tap, "master", self.bridge, "up"])
        vm = ["ip", "-n", name]
        run(vm + ["addr", "add", f"{ip}/24", "dev", "eth0"])
        run(vm + ["link", "set", "eth0", "up"])
        run(vm + ["route", "add", "default", "via", GATEWAY])
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
