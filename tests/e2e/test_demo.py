"""The README's main job: scripts/demo.sh brings the chain up on 127.0.0.1 and the
demo instance answers (run with --check: start, ask once, verify, stop)."""

import json
import os
import socket
import subprocess

import pytest

from conftest import binary_path

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO = os.path.join(ROOT, "scripts", "demo.sh")
DATA = os.path.join(ROOT, "examples", "demo-metadata.json")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_script_serves_the_demo_instance():
    if not os.access(binary_path(), os.X_OK):
        pytest.skip(f"no ns-metadata-proxy binary at {binary_path()}")
    env = dict(os.environ, NSMP_SKIP_DEPS="1", NSMP_BINARY=binary_path(),
               NSMP_DEMO_PORT=str(free_port()))
    proc = subprocess.run(["bash", DEMO, "--check"], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    with open(DATA) as f:
        instance = json.load(f)["instances"][0]
    answer = next(line for line in proc.stdout.splitlines() if line.startswith("{"))
    assert json.loads(answer)["uuid"] == instance["uuid"]
    # Both daemons were stopped and the run directory removed.
    assert "exiting" in out
    run_dirs = {line.split(" on ")[-1].rsplit("/", 1)[0] for line in out.splitlines()
                if "Starting the metadata server" in line}
    assert run_dirs and not any(os.path.exists(d) for d in run_dirs), run_dirs
