"""Metrics and health (docs/metrics.md): the single proxy's --metrics_socket, the
node's `ctl metrics` / `ctl health` and its --metrics-listen TCP address.

The values are read back from the real binary's page after real requests; the page
must pass `promtool check metrics` (Debian package prometheus, scripts/install-deps.sh).
"""
import os
import re
import shutil
import socket
import subprocess
import threading

import pytest

from harness import upstream as up
from harness import wire
from harness.node import ctl, listener_args
from harness.proxy import NETWORK_ID as NET, ROUTER_ID as RTR, free_port
from test_upstream_keepalive import keep_serving

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(page):
    """{(name, ((label, value), ...)): float} of every sample line."""
    out = {}
    for line in page.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = tuple(sorted(LABEL.findall(m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def value(samples, name, default=None, **labels):
    """The one sample `name` whose labels include `labels`. Absent: `default` when
    given (a series the page leaves out while it is zero), else the test fails."""
    want = set(labels.items())
    found = [v for (n, ls), v in samples.items() if n == name and want <= set(ls)]
    assert len(found) <= 1, (name, labels, found)
    if not found:
        assert default is not None, f"no sample {name} {labels} on the page"
        return default
    return found[0]


def http_unix(path, target, method="GET"):
    """(status, headers dict, body) of one request over a UNIX socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(path)
        s.sendall(f"{method} {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        return read_all(s)


def http_tcp(port, target):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        return read_all(s)


def read_all(s):
    data = b""
    while chunk := s.recv(65536):  # the endpoint closes after one answer
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    return int(lines[0].split()[1]), headers, body.decode()


def promtool_check(page):
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: install Debian's prometheus (scripts/install-deps.sh)"
    run = subprocess.run([promtool, "check", "metrics"], input=page.encode(),
                         capture_output=True, timeout=60)
    assert run.returncode == 0, run.stdout.decode() + run.stderr.decode()
    return run.stdout.decode() + run.stderr.decode()


@pytest.fixture
def metrics_path(workdir):
    return os.path.join(workdir, "metrics.sock")


def scrape(path):
    status, headers, body = http_unix(path, "/metrics")
    assert status == 200
    assert headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return body


def test_values_move_as_requests_are_made(make_proxy, upstream, metrics_path):
    proxy = make_proxy("--metrics_socket", metrics_path)
    before = parse(scrape(metrics_path))
    for name in ("nsmp_requests_total", "nsmp_request_duration_seconds_count",
                 "nsmp_agent_connections_opened_total"):
        assert value(before, name, uuid=NET, kind="network", **(
            {"code": "2xx"} if name == "nsmp_requests_total" else {})) == 0
    for _ in range(2):
        assert proxy.request(wire.get("/latest/meta-data/")).status == 200
    assert proxy.request(b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n").status == 400
    proxy.wait_access(400, "missing_host")
    after = parse(scrape(metrics_path))
    ids = {"uuid": NET, "kind": "network"}
    assert value(after, "nsmp_requests_total", code="2xx", **ids) == 2
    assert value(after, "nsmp_requests_total", code="4xx", **ids) == 1
    assert value(after, "nsmp_local_replies_total", reason="missing_host", **ids) == 1
    assert value(after, "nsmp_request_duration_seconds_count", **ids) == 3
    assert value(after, "nsmp_request_duration_seconds_bucket", le="+Inf", **ids) == 3
    assert value(after, "nsmp_agent_connections_opened_total", **ids) == 2
    assert value(after, "nsmp_agent_connections_reused_total", **ids) == 0
    assert value(after, "nsmp_connections_accepted_total", **ids) == 3
    assert value(after, "nsmp_client_sent_bytes_total", **ids) > 0
    assert value(after, "nsmp_listener_up", **ids) == 1
    assert value(after, "nsmp_process_open_fds") > 0
    # The process's own VmRSS, read just after: within 10 % (an ASan build's RSS is
    # ~100 MiB of shadow memory, so no fixed bound fits every build).
    rss = value(after, "nsmp_process_resident_memory_bytes")
    assert abs(rss - proxy.rss_kib() * 1024) <= max(rss, 1) * 0.1 + (1 << 20)
    assert value(after, "nsmp_process_start_time_seconds") > 1.6e9
    version = subprocess.run([proxy.binary, "--version"], capture_output=True, text=True).stdout
    build = [ls for (n, ls) in after if n == "nsmp_build_info"]
    assert len(build) == 1
    labels = dict(build[0])
    assert f" {labels['version']} (commit {labels['commit']})" in version


def test_kept_agent_connections_are_counted_as_reused(make_proxy, upstream, metrics_path):
    upstream.answer_all(keep_serving())
    proxy = make_proxy("--upstream_keepalive", "4", "--metrics_socket", metrics_path)
    for _ in range(3):
        assert proxy.request(wire.get("/latest/meta-data/")).status == 200
    page = parse(scrape(metrics_path))
    assert value(page, "nsmp_agent_connections_opened_total", uuid=NET) == 1
    assert value(page, "nsmp_agent_connections_reused_total", uuid=NET) == 2


def test_router_kind_and_rate_limit(make_proxy, upstream, metrics_path):
    proxy = make_proxy("--metrics_socket", metrics_path, identity=("--router_id", RTR))
    assert proxy.request(wire.get("/")).status == 200
    page = parse(scrape(metrics_path))
    assert value(page, "nsmp_requests_total", uuid=RTR, kind="router", code="2xx") == 1
    assert value(page, "nsmp_rate_limited_requests_total", uuid=RTR, kind="router") == 0


def test_promtool_accepts_the_page(make_proxy, upstream, metrics_path):
    proxy = make_proxy("--metrics_socket", metrics_path)
    assert proxy.request(wire.get("/")).status == 200
    assert proxy.request(b"GET / HTTP/1.1\r\n\r\n").status == 400
    promtool_check(scrape(metrics_path))


def test_healthz_ok_then_503_with_the_reason_when_the_agent_socket_is_gone(
        make_proxy, upstream, upstream_path, metrics_path):
    make_proxy("--metrics_socket", metrics_path)
    assert http_unix(metrics_path, "/healthz")[::2] == (200, "ok\n")
    upstream.stop()
    if os.path.exists(upstream_path):
        os.unlink(upstream_path)
    status, _, body = http_unix(metrics_path, "/healthz")
    assert status == 503
    assert body == f"agent socket {upstream_path} unreachable: connect: No such file or directory\n"


def test_other_paths_and_methods(make_proxy, upstream, metrics_path):
    make_proxy("--metrics_socket", metrics_path)
    assert http_unix(metrics_path, "/")[0] == 404
    status, headers, _ = http_unix(metrics_path, "/metrics", method="POST")
    assert (status, headers["allow"]) == (405, "GET, HEAD")
    status, headers, body = http_unix(metrics_path, "/metrics", method="HEAD")
    assert (status, body) == (200, "") and int(headers["content-length"]) > 1000
    assert http_unix(metrics_path, "/metrics?x=1")[0] == 200
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:  # no Host: the proxy's rules
        s.settimeout(5)
        s.connect(metrics_path)
        s.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
        assert read_all(s)[0] == 400


def unix_conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s


def test_a_head_over_the_limit_gets_431_and_the_endpoint_goes_on(make_proxy, upstream,
                                                                   metrics_path):
    # The endpoint reads a head into a buffer of http::kMaxHead (~37 KiB): a
    # scraper that sends more without ending its head is answered 431, not read on.
    make_proxy("--metrics_socket", metrics_path)
    with unix_conn(metrics_path) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + b"a" * 48 * 1024)
        assert read_all(s)[0] == 431
    assert "nsmp_requests_total" in scrape(metrics_path)


def test_sixteen_scrapes_at_once_and_the_seventeenth_waits_its_turn(make_proxy, upstream,
                                                                    metrics_path):
    # Endpoint::kMaxConnections: 16 exchanges open (each here waits for the end of
    # its head); the 17th stays in the backlog until one of them is done.
    make_proxy("--metrics_socket", metrics_path)
    held = [unix_conn(metrics_path) for _ in range(16)]
    try:
        for s in held:
            s.sendall(b"GET /metrics HTTP/1.1\r\n")
        with unix_conn(metrics_path) as late:
            late.sendall(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
            late.settimeout(0.5)
            with pytest.raises(socket.timeout):
                late.recv(1)  # not accepted while 16 are open
            held[0].sendall(b"Host: localhost\r\n\r\n")
            assert read_all(held[0])[0] == 200
            late.settimeout(5)
            assert read_all(late)[0] == 200
        for s in held[1:]:  # the others are still served
            s.sendall(b"Host: localhost\r\n\r\n")
            assert read_all(s)[0] == 200
    finally:
        for s in held:
            s.close()


def test_metrics_socket_is_0600(make_proxy, upstream, metrics_path):
    make_proxy("--metrics_socket", metrics_path)
    assert os.stat(metrics_path).st_mode & 0o777 == 0o600


def test_a_live_metrics_socket_is_never_taken_over(make_proxy, upstream, metrics_path):
    """A second proxy given a path the first one serves on fails to start and leaves
    the first one's socket alone (before: it replaced the file, and the first to exit
    unlinked the other's)."""
    first = make_proxy("--metrics_socket", metrics_path)
    second = make_proxy("--metrics_socket", metrics_path, start=False)
    assert second.wait_exit() == 1
    assert f"--metrics_socket {metrics_path}: another process is listening on {metrics_path}" \
        in second.log()
    assert os.path.exists(metrics_path)
    assert http_unix(metrics_path, "/healthz")[0] == 200
    assert first.alive()


def test_a_stale_metrics_socket_is_replaced(make_proxy, upstream, metrics_path):
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(metrics_path)
    stale.close()  # the file stays, nobody listens
    make_proxy("--metrics_socket", metrics_path)
    assert http_unix(metrics_path, "/healthz")[0] == 200
    assert os.stat(metrics_path).st_mode & 0o777 == 0o600


def sockets_of(pid):
    """The socket inodes pid holds."""
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            out.add(int(link[8:-1]))
    return out


def tcp_listeners(pid):
    """(local address hex, port) of each TCP socket in LISTEN that pid holds."""
    mine, found = sockets_of(pid), []
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as f:
            for line in list(f)[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[9]) in mine:
                    found.append(fields[1])
    return sorted(found)


def unix_listeners(pid):
    mine, found = sockets_of(pid), []
    with open(f"/proc/{pid}/net/unix") as f:
        for line in list(f)[1:]:
            fields = line.split()
            # Flags 00010000: __SO_ACCEPTCON, a listening socket.
            if int(fields[6]) in mine and fields[3] == "00010000" and len(fields) > 7:
                found.append(fields[7])
    return found


def test_metrics_add_no_tcp_listener(make_proxy, upstream, metrics_path):
    """The proxy runs in the tenant's namespace: metrics add a UNIX socket, never a port."""
    plain = make_proxy()
    with_metrics = make_proxy("--metrics_socket", metrics_path)
    assert len(tcp_listeners(plain.pid)) == 1
    assert len(tcp_listeners(with_metrics.pid)) == 1
    assert tcp_listeners(with_metrics.pid)[0].endswith(f":{with_metrics.port:04X}")
    assert unix_listeners(plain.pid) == []
    assert unix_listeners(with_metrics.pid) == [metrics_path]


def test_metrics_socket_needs_the_native_engine(binary, workdir, upstream_path, metrics_path):
    run = subprocess.run([binary, "--network_id", NET, "--engine", "haproxy",
                          "--metrics_socket", metrics_path], capture_output=True, text=True,
                         timeout=10)
    assert run.returncode == 2
    assert "--metrics_socket needs the native engine" in run.stderr


# -- the node ------------------------------------------------------------------


def client_get(port):
    with wire.Client(port) as c:
        return c.request(wire.get("/")).status


def test_node_ctl_metrics_and_health(make_node, binary, upstream, upstream_path):
    node = make_node()
    assert ctl(binary, node.control_path, "health").stdout == "ok\n"  # no listener yet
    _, port = node.add_ok(listener_args("--network_id", NET, upstream_path))
    _, port2 = node.add_ok(listener_args("--router_id", RTR, upstream_path))
    assert client_get(port) == 200
    out = ctl(binary, node.control_path, "metrics")
    assert out.returncode == 0, out.stderr
    page = parse(out.stdout)
    assert value(page, "nsmp_requests_total", uuid=NET, kind="network", code="2xx") == 1
    assert value(page, "nsmp_requests_total", uuid=RTR, kind="router", code="2xx") == 0
    assert value(page, "nsmp_listeners") == 2
    promtool_check(out.stdout)
    health = ctl(binary, node.control_path, "health")
    assert (health.returncode, health.stdout) == (0, "ok\n")
    upstream.stop()
    if os.path.exists(upstream_path):
        os.unlink(upstream_path)
    health = ctl(binary, node.control_path, "health")
    assert health.returncode == 1
    assert health.stdout == f"agent socket {upstream_path} unreachable: connect: No such file or directory\n"


def test_node_health_leaves_out_a_listener_that_is_draining(make_node, binary, upstream,
                                                            upstream_path):
    # A removed listener finishing its last request neither accepts nor needs
    # its agent any more: health reports neither about it.
    release = threading.Event()
    upstream.answer(up.wait_then_reply(release, up.response(200, b"late")))
    node = make_node()
    _, port = node.add_ok(listener_args("--network_id", NET, upstream_path))
    moved = upstream_path + ".moved"
    with wire.Client(port) as c:
        c.send(wire.get("/slow"))
        upstream.wait_request(0)
        assert node.remove(NET)["draining"] == 1
        os.rename(upstream_path, moved)  # its agent socket: gone from the path
        try:
            health = ctl(binary, node.control_path, "health")
            assert (health.returncode, health.stdout) == (0, "ok\n"), health
        finally:
            os.rename(moved, upstream_path)
            release.set()
        assert c.read_response().status == 200


def test_node_metrics_listen_serves_http_on_tcp(make_node, upstream, upstream_path):
    mport = free_port()
    node = make_node(extra=["--metrics-listen", f"127.0.0.1:{mport}"])
    node.wait_log(rf"metrics on http://127\.0\.0\.1:{mport}")
    _, port = node.add_ok(listener_args("--network_id", NET, upstream_path))
    assert client_get(port) == 200
    status, headers, body = http_tcp(mport, "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
    assert value(parse(body), "nsmp_requests_total", uuid=NET, code="2xx") == 1
    assert http_tcp(mport, "/healthz")[::2] == (200, "ok\n")


def test_node_metrics_listen_refuses_a_bad_address(binary, workdir):
    run = subprocess.run([binary, "node", "--nodaemonize", "--control",
                          os.path.join(workdir, "n.ctl"), "--metrics-listen", "localhost"],
                         capture_output=True, text=True, timeout=10)
    assert run.returncode == 2
    assert "want ADDR:PORT" in run.stderr
