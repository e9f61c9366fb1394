"""Fixtures for the integration suite: the real binary, a scripted upstream, helpers.

Run: NSMP_BINARY=/path/to/ns-metadata-proxy pytest-3 -q tests/integration
(ctest passes NSMP_BINARY; the default is /work/main/build/src/app/ns-metadata-proxy).
"""
import os
import resource
import shutil
import tempfile

import pytest

from harness import node as node_mod
from harness import proxy as proxy_mod
from harness import upstream as upstream_mod
from harness import wire
from harness.local_reply import check_local_reply

DEFAULT_BINARY = "/work/main/build/src/app/ns-metadata-proxy"

@pytest.fixture(scope="session")
def binary():
    path = os.environ.get("NSMP_BINARY", DEFAULT_BINARY)
    if not os.access(path, os.X_OK):
        pytest.fail(f"ns-metadata-proxy binary not found at {path}; build it or set NSMP_BINARY")
    return path


@pytest.fixture
def workdir():
    """A temp dir readable by an unprivileged user (for the privilege-drop tests)."""
    path = tempfile.mkdtemp(prefix="nsmp-it-")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def upstream_path(workdir):
    return os.path.join(workdir, "agent.sock")


@pytest.fixture
def upstream(upstream_path):
    up = upstream_mod.Upstream(upstream_path).start()
    yield up
    up.stop()


def without_options(args, names):
    """args minus each `--name value` pair whose name is in names (so tests override)."""
    out, i = [], 0
    while i < len(args):
        if args[i] in names and args[i] in proxy_mod.VALUED:
            i += 2
            continue
        out.append(args[i])
        i += 1
    return out


def stop_checked(processes, what):
    """Stops each process a test started (SIGTERM first: a clean shutdown lets a
    sanitizer build report leaks) and fails the test on a sanitizer report in a log."""
    reports = []
    for p in processes:
        if p.proc is None:
            continue
        p.stop()
        report = p.sanitizer_report()
        if report:
            reports.append(report)
    if reports:
        pytest.fail(f"sanitizer report from the {what}:\n" + "\n".join(reports), pytrace=False)


@pytest.fixture
def make_proxy(binary, workdir, upstream_path):
    """Factory: make_proxy(*extra_args, identity=..., start=True, log_file=None)."""
    started = []

    def make(*extra, identity=("--network_id", proxy_mod.NETWORK_ID), start=True, log_file=None,
             args=None, name=None):
        base = args if args is not None else proxy_mod.neutron_args(workdir, upstream_path, identity)
        base = without_options(base, [a for a in extra if a.startswith("--")])
        p = proxy_mod.Proxy(binary, workdir, [*base, *extra], log_file=log_file,
                            name=name or f"proxy{len(started)}")
        started.append(p)
        return p.start() if start else p.spawn()

    yield make
    stop_checked(started, "proxy")


@pytest.fixture
def make_node(binary, workdir):
    """Factory: make_node(name=..., control=..., extra=..., log_file=..., start=True).
    Teardown stops each node by pid and fails on a sanitizer report in its log."""
    nodes = []

    def make(name="node", start=True, **kw):
        n = node_mod.Node(binary, workdir, name=name, **kw)
        nodes.append(n)
        return n.start() if start else n.spawn()

    yield make
    stop_checked(nodes, "node")


@pytest.fixture
def proxy(make_proxy, upstream):
    """A proxy for network NETWORK_ID in front of the scripted upstream."""
    return make_proxy()


@pytest.fixture(params=wire.FEEDS)
def feed(request):
    """Every parsing test runs with the request sent whole and byte by byte."""
    return request.param


@pytest.fixture
def expect_local_reply(proxy, upstream):
    """expect_local_reply(raw, code, reason, feed): the proxy answers itself and closes,
    logs the reason word, and nothing of the request reaches the upstream."""

    def expect(raw, code, reason, feed="whole", method="GET", body_phase=False):
        """body_phase: the error is in the body, found after the head may already have
        been streamed upstream; then the agent may see a head, never a complete request."""
        before = upstream.connection_count
        with proxy.connect() as c:
            c.send(raw, feed, stop_on_reply=True)
            resp = c.read_response(method)
            check_local_reply(resp, code, reason)
            if code != 429:
                assert resp.connection_tokens() == ["close"]
                assert c.wait_closed()
        entry = proxy.wait_access(code, reason, peer_port=c.local_port)
        assert entry.peer_ip == "127.0.0.1"
        assert entry.bytes == len(resp.raw)
        if body_phase:
            for got in upstream.received[before:]:
                assert upstream_mod.request_length(got) is None, f"a complete request reached the agent: {got!r}"
        else:
            assert upstream.received[before:] == [], "a rejected request reached the upstream"
        return resp

    return expect


@pytest.fixture
def raised_nofile():
    """Raise RLIMIT_NOFILE to the hard limit for this test (restored afterwards)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    yield hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
