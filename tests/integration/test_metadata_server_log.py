"""Issue #10 item 10: the built-in metadata server's access log escapes what the
client sent, exactly as the proxy's access log does (base/log_escape.h).

A VM's request target reaches the metadata server through the proxy with '"', '\\'
and non-ASCII bytes intact (the head scanner refuses only control characters), and
whoever connects to its socket directly controls the identity and X-Forwarded-For
values it logs. Written raw, a '"' ends the quoted request field early and lets the
rest pose as the server's own fields.
"""
import os
import re
import signal
import socket
import subprocess

import pytest

from harness.wire import wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "examples", "demo-metadata.json")
DEMO_NETWORK = "6a1f4c2e-0d5b-4e8a-9c3f-1b2d3e4f5a6b"  # the demo instance's network


def connects(path):
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
        return True
    except OSError:
        return False


@pytest.fixture
def server(binary, workdir, upstream_path):
    """The metadata server on the proxy's agent socket; yields a function returning its log."""
    log = os.path.join(workdir, "metadata-server.log")
    proc = subprocess.Popen([binary, "metadata-server", "--socket", upstream_path, "--data", DATA,
                             "--log-file", log], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: connects(upstream_path), what="the metadata server's socket")

        def read():
            with open(log, "rb") as f:
                return f.read()
        yield read
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def access_line(read_log, needle):
    """The metadata server's access line containing `needle` (bytes)."""
    found = []

    def seen():
        found[:] = [l for l in read_log().splitlines() if b" access " in l and needle in l]
        return found
    wait_for(seen, what=f"an access line with {needle!r}")
    assert len(found) == 1, found
    return found[0]


def ask_unix(path, raw):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(path)
        s.sendall(raw)
        return s.recv(65536)


def test_a_vms_target_is_escaped_in_both_logs(server, make_proxy):
    proxy = make_proxy(identity=("--network_id", DEMO_NETWORK))
    target = b'/latest/meta-data/x"y\\z/caf\xc3\xa9'
    status = proxy.request(b"GET " + target + b" HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n").status
    assert status == 404
    escaped = rb"/latest/meta-data/x\x22y\x5cz/caf\xc3\xa9"
    line = access_line(server, b"/latest/meta-data/x")
    assert re.search(rb'^\S+ INFO access client=127\.0\.0\.1 network=' + DEMO_NETWORK.encode()
                     + rb' "GET ' + re.escape(escaped) + rb'" 404 \d+ \S+ms no_such_path '
                     rb'instance=\S+$', line), line
    # The proxy logs the same target the same way (one escaping for both).
    assert proxy.wait_access(404).request_line.encode() == b"GET " + escaped + b" HTTP/1.1"


def test_header_values_of_a_direct_client_are_escaped(server, upstream_path):
    reply = ask_unix(upstream_path, b'GET /direct HTTP/1.1\r\nHost: h\r\n'
                     b'X-Forwarded-For: 192.0.2.1" 200 0 forged\xff\r\n'
                     b'X-Neutron-Network-ID: n"\\\xe9\r\nConnection: close\r\n\r\n')
    assert reply.startswith(b"HTTP/1.1 400 ")
    line = access_line(server, b"/direct")
    expected = (re.escape(rb'access client=192.0.2.1\x22 200 0 forged\xff network=n\x22\x5c\xe9 '
                          rb'"GET /direct" 400 ') + rb"\d+ \S+ms bad_forwarded_for$")
    assert re.search(expected, line), line
