"""Every namespace, rule and process goes away when a test fails, when the run is
interrupted, and (swept by the next run) when the run is killed."""

import json
import os
import subprocess
import sys
import time

import pytest

import topology
from procs import pid_alive

HERE = os.path.dirname(os.path.abspath(__file__))


def run_selfcheck(tmp_path, how):
    record = tmp_path / "made.json"
    env = dict(os.environ, NSMP_E2E_SELFCHECK=how, NSMP_E2E_RECORD=str(record))
    # One shape is enough here: the cleanup code is the same for both.
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--basetemp", str(tmp_path / "inner"), "-k", "qrouter",
                           "selfcheck_cloud.py"],
                          cwd=HERE, env=env, capture_output=True, text=True, timeout=120)
    assert record.exists(), f"the child never built its cloud:\n{proc.stdout}\n{proc.stderr}"
    return proc, json.loads(record.read_text())


def assert_gone(made, context):
    left = [n for n in topology.list_netns() if n in made["namespaces"]]
    deadline = time.monotonic() + 10  # a killed process takes a moment to be reaped
    while any(pid_alive(p) for p in made["pids"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [p for p in made["pids"] if pid_alive(p)]
    assert not left and not alive, f"{context}: namespaces {left}, processes {alive} remain"


@pytest.mark.parametrize("how", ["assert", "sigterm"])
def test_cleanup_after_failure_or_interrupt(netns_ready, tmp_path, how):
    proc, made = run_selfcheck(tmp_path, how)
    assert proc.returncode != 0, proc.stdout
    assert_gone(made, f"after the child's {how}")


def test_sweep_removes_what_a_killed_run_left(netns_ready, tmp_path):
    proc, made = run_selfcheck(tmp_path, "sigkill")
    assert proc.returncode == -9
    swept = topology.sweep_leftovers()
    assert set(made["namespaces"]) <= set(swept)
    assert_gone(made, "after the sweep")
