"""Issue #10 item 9: a network or router id never names a file outside --state_path.

`--engine haproxy --network_id ../../x` wrote `../../x.conf` beside the state
directory and created directories on the way. Every entry point that turns an id
into a file name or log tag now refuses an id that is not one plain path component
(proxy/listener_id.h), before it creates anything: the Neutron command line (native,
--engine haproxy, --log-dir), the haproxy config the drop-in reads, and `cleanup`.
Each test runs the real binary with a deep --state_path inside its workdir, so a
traversal would land in the workdir, where the test looks.
"""
import os
import subprocess

import pytest

import haproxy_diff_helpers as h

BAD_IDS = {"up-two": "../../x", "dot-dot": "..", "slash": "a/b", "percent": "%[src]"}


def tree(root):
    """Every path under root (directories and files), relative to it."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            out.add(os.path.relpath(os.path.join(dirpath, name), root))
    return out


def state_dir(workdir):
    """A --state_path two levels below the workdir, not created: "../../x.conf"
    from its ns-metadata-proxy/ directory would be <workdir>/s/x.conf."""
    return os.path.join(workdir, "s", "a", "b")


def run(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, timeout=20,
                          stdin=subprocess.DEVNULL)


def assert_refused_with_one_line(r, code, bad):
    assert r.returncode == code, r
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert f"'{bad}' must be 1-255 printable ASCII".encode() in r.stderr, r.stderr


@pytest.mark.parametrize("bad", list(BAD_IDS.values()), ids=list(BAD_IDS))
@pytest.mark.parametrize("mode", ["engine-haproxy", "native-log-dir"])
def test_command_line_refuses_the_id_and_creates_nothing(binary, workdir, bad, mode):
    before = tree(workdir)
    state = state_dir(workdir)
    common = ["--nodaemonize", "--state_path", state, "--bind_host", "127.0.0.1",
              "--metadata_port", "0", "--metadata_proxy_socket", os.path.join(workdir, "a.sock")]
    if mode == "engine-haproxy":
        args = ["--engine", "haproxy", "--network_id", bad, "--metadata_proxy_user", "root",
                "--metadata_proxy_group", "root", *common]
    else:  # the log file is named ns-metadata-proxy-<id>.log in --log-dir
        args = ["--router_id", bad, "--log-dir", os.path.join(state, "log"), *common]
    r = run(binary, *args)
    assert_refused_with_one_line(r, 2, bad)
    assert tree(workdir) == before


@pytest.mark.parametrize("bad", ["../../x", "a/b"])
def test_drop_in_refuses_the_id_of_a_config(binary, workdir, bad):
    conf = os.path.join(workdir, "bad.conf")
    with open(conf, "w") as f:
        f.write(h.neutron_config(h.free_port(), os.path.join(workdir, "a.sock"))
                .replace(f"X-Neutron-Network-ID {h.NETWORK_ID}", f"X-Neutron-Network-ID {bad}"))
    before = tree(workdir)
    for mode in (["-c", "-f", conf], ["-db", "-f", conf]):
        r = run(binary, *mode)
        assert r.returncode == 1, (mode, r)
        assert f"header value '{bad}' must be 1-255 printable ASCII".encode() in r.stderr, r.stderr
    assert tree(workdir) == before


def test_cleanup_refuses_the_same_ids_and_deletes_nothing(binary, workdir):
    state = state_dir(workdir)
    os.makedirs(os.path.join(state, "ns-metadata-proxy"))
    target = os.path.join(workdir, "s", "a", "x.conf")  # where "../../x" would point
    with open(target, "w") as f:
        f.write("x")
    before = tree(workdir)
    for bad in BAD_IDS.values():
        assert_refused_with_one_line(run(binary, "cleanup", "--state_path", state, bad), 2, bad)
    assert tree(workdir) == before
