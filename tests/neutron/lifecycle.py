"""Checks shared by the lifecycle tests: Neutron's ProcessManager sees our binary, the
monitor respawns it, Neutron's stop ends it with a request in flight answered."""

from __future__ import annotations

import os
import signal
import subprocess
import threading

import neutron_env as ne
from harness import upstream as upstream_mod


def pid_file_of(agent, uuid: str) -> str:
    return os.path.join(agent.state_path, "external", "pids", f"{uuid}.pid.haproxy")


def assert_ours_active(agent, dropin, uuid: str, namespace: str, proc: dict) -> None:
    """What Neutron checks (pid file, the uuid in the cmdline), and that the process
    is this binary, not /usr/sbin/haproxy."""
    assert proc["active"], proc
    assert proc["pid_file"] == pid_file_of(agent, uuid), proc
    assert int(ne.read_file(proc["pid_file"]).split()[0]) == proc["pid"], proc
    assert uuid in proc["cmdline"] and proc["cmdline"].startswith("haproxy -f "), proc
    pid = proc["pid"]
    assert dropin.is_ours(pid), (
        f"pid {pid} runs {os.path.realpath(f'/proc/{pid}/exe')}, not {dropin.binary}")
    ns_inode = os.stat(f"/run/netns/{namespace}").st_ino
    assert os.stat(f"/proc/{proc['pid']}/ns/net").st_ino == ns_inode, "not in the namespace"


def served(agent, vm, url: str, header: str, value: str, client: str) -> None:
    """One request from the VM, spoofing every identity; exactly one identity and one
    X-Forwarded-For reach the agent's socket."""
    up = agent.upstream
    before = up.connection_count
    status, body = ne.curl(vm, url)
    assert (status, body) == (200, b"ok"), f"{url}: {status} {body!r}\n{agent.describe()}"
    assert up.connection_count == before + 1, "the request did not reach the agent exactly once"
    ne.assert_one_identity(up.wait_request(before), header, value, client)


def kill_and_respawn(agent, dropin, uuid: str, namespace: str, proc: dict) -> dict:
    """kill -9 the proxy; Neutron's ProcessMonitor (1 s checks) starts a new one."""
    os.kill(proc["pid"], signal.SIGKILL)
    ne.wait_for(lambda: not ne.pid_alive(proc["pid"]), f"pid {proc['pid']} to die")
    new = agent.wait_active(uuid, namespace, other_than=proc["pid"])
    assert_ours_active(agent, dropin, uuid, namespace, new)
    assert f"Respawning metadata-proxy for uuid {uuid}" in agent.log(), agent.describe()
    return new


def stop_with_request_in_flight(agent, vm, url: str, namespace: str, port: int, proc: dict,
                                stop) -> None:
    """A request waits at the agent's socket while Neutron stops the proxy (SIGTERM, up
    to 5 s, then SIGKILL): the proxy stops listening at once, the request is still
    answered, and Neutron never needs its SIGKILL."""
    up = agent.upstream
    release = threading.Event()
    up.answer(upstream_mod.wait_then_reply(release, upstream_mod.response(200, b"late")))
    before = up.connection_count
    client = subprocess.Popen(vm.exec_args("timeout", "40", "curl", "-sS", "-g", "--max-time", "30",
                                           "-o", "-", "-w", "\n%{http_code}", url),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    outcome = {}

    def run_stop():
        try:
            outcome["reply"] = stop()
        except BaseException as e:  # reported below
            outcome["error"] = e

    stopper = threading.Thread(target=run_stop)
    try:
        up.wait_connections(before + 1, timeout=ne.WAIT)
        stopper.start()
        ne.wait_for(lambda: not ne.listening(namespace, port),
                    "the proxy to close its listener on Neutron's SIGTERM", describe=agent.describe)
        assert ne.pid_alive(proc["pid"]), "the proxy exited with a request in flight"
        release.set()
        out, err = client.communicate(timeout=45)
        assert out == b"late\n200", f"the request in flight got {out!r} {err!r}\n{agent.describe()}"
        stopper.join(ne.WAIT)
        assert not stopper.is_alive(), "Neutron's stop did not return"
        assert "error" not in outcome, outcome.get("error")
    finally:
        release.set()
        if client.poll() is None:
            client.kill()
            client.wait(timeout=5)
        if stopper.ident:
            stopper.join(ne.WAIT)
    assert not ne.pid_alive(proc["pid"]), "the proxy still runs after Neutron's stop"
    assert "did not finish after SIGTERM" not in agent.log(), (
        f"Neutron had to SIGKILL the proxy\n{agent.describe()}")


def assert_cleaned_up(conf: str, pid_file: str) -> None:
    assert not os.path.exists(conf), f"{conf} left after Neutron's stop"
    assert not os.path.exists(pid_file), f"{pid_file} left after Neutron's stop"
