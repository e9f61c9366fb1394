"""maxconn, bounded buffers, many idle connections."""
import resource
import socket
import time

import pytest

from harness import proxy as proxy_mod
from harness import upstream as up
from harness import wire

MIB = 1024 * 1024
# A proxy that buffered what these tests push would grow by ~64 MiB or more;
# one that keeps a fixed amount per connection stays far below this.
RSS_GROWTH_BOUND_KIB = 16 * 1024


def test_maxconn_queues_extra_connection_until_one_closes(make_proxy, upstream):
    proxy = make_proxy("--maxconn", "2")
    upstream.answer_all(up.echo_target)
    a, b = proxy.connect(), proxy.connect()
    try:
        assert a.request(wire.get("/a")).body == b"/a"
        assert b.request(wire.get("/b")).body == b"/b"
        c = proxy.connect()  # completes in the kernel's backlog
        c.send(wire.get("/c"))
        # Not served while two connections are open (bounded wait, not a timing claim).
        assert c.pending_bytes(wait=0.5) == b""
        assert upstream.connection_count == 2
        a.close()
        resp = c.read_response()
        assert resp.body == b"/c"
        assert b.request(wire.get("/b2")).body == b"/b2"
        c.close()
    finally:
        a.close()
        b.close()


def test_out_of_descriptors_pending_connections_are_accepted_once_fds_free_up(
        make_proxy, upstream):
    """accept() failing with EMFILE leaves connections in the backlog, and an
    edge-triggered listener gets no new edge for them: the proxy must retry on
    its own, or they wait until some unrelated connection arrives."""
    proxy = make_proxy()
    upstream.answer_all(up.echo_target)
    # A first exchange while descriptors are plenty: UBSan checks each dynamic type
    # once, probing memory through a pipe it could not open later (a false "invalid
    # vptr" then). So the warm-up must also be over, its session deleted, before the
    # limit: wait for its descriptor to go (the CI machine may lag behind the test).
    with proxy.connect() as c:
        assert c.request(wire.get("/warm")).body == b"/warm"
        busy = proxy.open_fds()
    deadline = time.monotonic() + 10
    while proxy.open_fds() >= busy and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proxy.open_fds() < busy, "the warm-up connection was never closed"
    spare = 3
    resource.prlimit(proxy.pid, resource.RLIMIT_NOFILE, (proxy.open_fds() + spare,) * 2)
    held = [proxy.connect() for _ in range(spare)]
    pending = [proxy.connect() for _ in range(2)]  # complete in the kernel's backlog
    try:
        proxy.wait_log("Too many open files; retrying in 100 ms")
        for c in held:
            c.close()
        # No new connection arrives: only the proxy's own retry can serve these.
        for i, c in enumerate(pending):
            assert c.request(wire.get(f"/p{i}")).body == f"/p{i}".encode()
    finally:
        for c in held + pending:
            c.close()


def test_open_file_limit_is_raised_for_maxconn(binary, workdir, upstream_path):
    """Two descriptors per connection: maxconn 1024 needs more than the usual soft
    limit of 1024, so the proxy raises its own (as haproxy does)."""
    wanted = 2 * 1024 + 64
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"hard open-file limit {hard} is below {wanted}")
    shell = ["-c", f'ulimit -Sn 1024 && exec "{binary}" "$@"', "sh",
             *proxy_mod.neutron_args(workdir, upstream_path)]
    p = proxy_mod.Proxy("/bin/sh", workdir, shell, name="low-limit").start()
    try:
        with open(f"/proc/{p.pid}/limits") as f:
            soft = next(line.split()[3] for line in f if line.startswith("Max open files"))
        assert int(soft) == wanted
    finally:
        p.stop()


def push(sock, total, stall=1.0, limit=20.0):
    """Write up to `total` bytes as fast as the peer takes them; stop when nothing
    moved for `stall` seconds. Returns the bytes written."""
    sock.setblocking(False)
    block = b"b" * 65536
    sent = 0
    end = time.monotonic() + limit
    while sent < total and time.monotonic() < end:
        try:
            sent += sock.send(block[: min(len(block), total - sent)])
        except BlockingIOError:
            if not wire.wait_writable(sock, stall):
                break
        except (BrokenPipeError, ConnectionResetError):
            break
    return sent


def wait_until_stalled(counter, stall=1.0, limit=20.0):
    """Poll counter() until it stops growing for `stall` seconds (bounded)."""
    end = time.monotonic() + limit
    last, since = counter(), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.1)
        now = counter()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= stall:
            break
    return last


def test_large_upload_to_non_reading_upstream_keeps_memory_bounded(make_proxy, upstream):
    proxy = make_proxy("--max_body_size", str(1 << 30), "--timeout_server", "30",
                       "--timeout_client", "30")
    upstream.answer(up.DEFAULT, up.never_read)
    assert proxy.request(wire.get("/warm")).status == 200  # baseline after one request
    with proxy.connect() as c:
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        rss_before = proxy.rss_kib()
        c.send(b"POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % (512 * MIB))
        sent = push(c.sock, 128 * MIB)
        rss_after = proxy.rss_kib()
    assert sent < 128 * MIB, "the proxy accepted everything although the agent reads nothing"
    assert rss_after - rss_before < RSS_GROWTH_BOUND_KIB, (rss_before, rss_after, sent)


def test_large_download_to_non_reading_client_keeps_memory_bounded(make_proxy, upstream):
    proxy = make_proxy("--timeout_client", "30", "--timeout_server", "30")
    upstream.answer(up.DEFAULT, up.stream_large_body(512 * MIB))
    assert proxy.request(wire.get("/warm")).status == 200
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.connect(("127.0.0.1", proxy.port))
    try:
        rss_before = proxy.rss_kib()
        sock.sendall(wire.get("/big"))
        conn = upstream.wait_connections(2)
        sent = wait_until_stalled(lambda: conn.bytes_sent)
        rss_after = proxy.rss_kib()
    finally:
        sock.close()
    assert 0 < sent < 512 * MIB, "the client never reads, yet the agent could send everything"
    assert rss_after - rss_before < RSS_GROWTH_BOUND_KIB, (rss_before, rss_after, sent)


def test_ten_thousand_idle_connections_do_not_block_others(make_proxy, upstream, raised_nofile):
    n = 10_000
    if raised_nofile < n + 1000:
        pytest.skip(f"RLIMIT_NOFILE hard limit {raised_nofile} is too low for {n} connections")
    # All from 127.0.0.1: no per-source limit here.
    proxy = make_proxy("--maxconn", str(n + 100), "--maxconn_per_source", "0",
                       "--timeout_client", "120", "--timeout_http_request", "120",
                       "--timeout_http_keep_alive", "120")
    base_fds = proxy.open_fds()
    idle = []
    try:
        for _ in range(n):
            idle.append(socket.create_connection(("127.0.0.1", proxy.port), timeout=10))
        # Bounded poll until the proxy has accepted them all (not just the kernel).
        deadline = time.monotonic() + 60
        while proxy.open_fds() < base_fds + n and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proxy.open_fds() >= base_fds + n
        resp = proxy.request(wire.get("/busy"))
        assert resp.status == 200 and resp.body == b"ok"
        # Idle connections are still alive and get served when they speak.
        for s in (idle[0], idle[n // 2], idle[-1]):
            s.sendall(wire.get("/late"))
            r = wire.read_response(wire.Reader(s))
            assert r.status == 200
    finally:
        for s in idle:
            s.close()
    assert proxy.alive()
