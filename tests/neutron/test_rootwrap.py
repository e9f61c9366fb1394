"""How rootwrap picks the drop-in (docs/haproxy.md's exec_dirs line).

Neutron runs `<root_helper> ip netns exec NS haproxy -f CONF`. Debian's filters
(`ip_exec: IpNetnsExecFilter` chaining to `haproxy: RegExpFilter, haproxy, root,
haproxy, -f, .*`) accept that only when some `haproxy` lies in rootwrap.conf's
exec_dirs; `ip netns exec` then runs whichever `haproxy` comes first on PATH. So:
  - a drop-in outside exec_dirs, where no other haproxy is in them: refused;
  - the drop-in's directory in exec_dirs: accepted, and it runs;
  - only /usr/sbin/haproxy in exec_dirs, the drop-in first on PATH: accepted, and it
    is still the drop-in that runs (PATH decides, not exec_dirs).
"""

from __future__ import annotations

import os

import pytest

import neutron_env as ne
from conftest import port_id_for

SBIN_DIRS = ("/sbin", "/usr/sbin", "/usr/local/sbin")


def run_through_rootwrap(run_cmd, dropin, rootwrap_conf, namespace, conf):
    """What ProcessManager.enable() runs for a namespaced proxy (root_helper + cmd)."""
    return run_cmd([ne.ROOTWRAP, rootwrap_conf, "ip", "netns", "exec", namespace,
                    "haproxy", "-f", conf], env=dropin.env, timeout=60)


def test_exec_dirs_decide_whether_rootwrap_runs_it(agents, shapes, dropin, run_cmd, tmp_path):
    agent = agents.get("dhcp", ipv6=False)
    topo = shapes.make("qdhcp")
    reply = agent.call("network_enable", dry=True, network_id=topo.service_id,
                       port_id=port_id_for(topo), cidr="192.0.2.0/24", dhcp_ip="192.0.2.2")
    recorded = reply["recorded"][0]
    conf, pid_file = recorded["cmd"][2], recorded["pid_file"]
    agents.track(pid_file, topo.service_id)

    # exec_dirs without the drop-in and without any sbin (no haproxy in them at all).
    bare = ne.write_rootwrap_conf(str(tmp_path / "bare.conf"), [], drop_dirs=SBIN_DIRS)
    refused = run_through_rootwrap(run_cmd, dropin, bare, topo.service_ns, conf)
    assert refused.returncode != 0, f"rootwrap ran haproxy with none in exec_dirs: {refused}"
    assert "Unauthorized command" in refused.stderr, refused.stderr
    assert not os.path.exists(pid_file)

    # The same with the drop-in's directory listed: it runs.
    listed = ne.write_rootwrap_conf(str(tmp_path / "listed.conf"), [dropin.dir],
                                    drop_dirs=SBIN_DIRS)
    started = run_through_rootwrap(run_cmd, dropin, listed, topo.service_ns, conf)
    assert started.returncode == 0, started.stderr
    pid = int(ne.read_file(pid_file).split()[0])
    assert dropin.is_ours(pid)
    ne.kill_proxy(pid_file, topo.service_id)
    os.unlink(pid_file)

    # Debian's exec_dirs as they are: /usr/sbin/haproxy satisfies the filter, PATH runs ours.
    if not os.access("/usr/sbin/haproxy", os.X_OK):
        pytest.skip("no /usr/sbin/haproxy here (Debian's haproxy package) for the last case")
    debian = ne.write_rootwrap_conf(str(tmp_path / "debian.conf"), [])
    started = run_through_rootwrap(run_cmd, dropin, debian, topo.service_ns, conf)
    assert started.returncode == 0, started.stderr
    pid = int(ne.read_file(pid_file).split()[0])
    assert dropin.is_ours(pid), f"pid {pid} is {os.path.realpath(f'/proc/{pid}/exe')}"
