"""The systemd units in systemd/: `systemd-analyze verify` accepts each (with the
binary under test in ExecStart, as the package's /usr/sbin one), and the node's unit
fits the binary: Type=notify with a foreground process, an ExecStart command line
the node accepts. (tests/e2e/test_node_unit_sandbox.py runs the node under the
unit's capabilities and read-only file system; scripts/test-deb.sh verifies the
installed unit.)
"""
import glob
import os
import re
import shlex
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNITS = sorted(glob.glob(os.path.join(ROOT, "systemd", "*.service")))
INSTALLED_BINARY = "/usr/sbin/ns-metadata-proxy"

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                reason="needs systemd-analyze (scripts/install-deps.sh)")


def settings(path):
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    return dict(re.match(r"^([A-Za-z]+)=(.*)$", line.strip()).groups()
                for line in text.splitlines() if re.match(r"^[A-Za-z]+=", line.strip()))


def verify(binary, unit_text, tmp_path, name):
    """systemd-analyze verify on the unit, ExecStart pointing at `binary`."""
    unit = tmp_path / name
    unit.write_text(unit_text.replace(INSTALLED_BINARY, binary))
    # --man=no: the page is checked once installed (scripts/test-deb.sh).
    return subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                          capture_output=True, text=True, timeout=60)


def test_there_is_a_node_unit():
    assert [os.path.basename(u) for u in UNITS] == ["ns-metadata-proxy-node.service"]


@pytest.mark.parametrize("path", UNITS, ids=os.path.basename)
def test_systemd_analyze_verify_accepts_the_unit(binary, tmp_path, path):
    with open(path) as f:
        text = f.read()
    assert INSTALLED_BINARY in text
    run = verify(binary, text, tmp_path, os.path.basename(path))
    assert run.returncode == 0 and not run.stdout and not run.stderr, run.stdout + run.stderr


def test_verify_would_see_a_mistake(binary, tmp_path):
    # The check above is not vacuous: a misspelt key is reported.
    with open(UNITS[0]) as f:
        text = f.read().replace("ProtectSystem=strict", "ProtectSytem=strict")
    run = verify(binary, text, tmp_path, os.path.basename(UNITS[0]))
    assert "ProtectSytem" in run.stdout + run.stderr


def test_node_unit_runs_the_node_in_the_foreground_with_notify(binary):
    s = settings(os.path.join(ROOT, "systemd", "ns-metadata-proxy-node.service"))
    assert s["Type"] == "notify"
    args = shlex.split(s["ExecStart"])
    assert args[:2] == [INSTALLED_BINARY, "node"] and "--nodaemonize" in args, args
    # The control socket lives in the unit's RuntimeDirectory (the rest is read-only).
    control = args[args.index("--control") + 1]
    assert os.path.dirname(control) == "/run/" + s["RuntimeDirectory"], (control, s)
    # The node accepts the whole command line (--help last: everything before it
    # is parsed and checked first).
    run = subprocess.run([binary, *args[1:], "--help"], capture_output=True, timeout=10)
    assert run.returncode == 0, run.stderr
