"""Kept connections to the metadata agent (--upstream_keepalive N).

Off by default: every request gets a fresh connection and "Connection: close",
as with Neutron's haproxy config. When on, only GET/HEAD without a body go over
a kept connection, a kept connection the agent closed meanwhile makes the
request go again on a fresh one, and no byte the agent sends outside a
response can ever answer a later request.
"""
import signal
import threading
import time

from harness import upstream as up
from harness import wire


def keep_serving(extra=b"", after_first=None):
    """An agent that answers every request on its connection with HTTP/1.1
    keep-alive; the body names the connection and the request number.
    `extra` is sent right after each response; `after_first(conn)` runs once
    the first response is out (and may end the connection)."""

    def behaviour(conn):
        pos, served = 0, 0
        while not conn.upstream.stopping.is_set():
            deadline = time.monotonic() + up.WAIT
            while (n := up.request_length(bytes(conn.data[pos:]))) is None:
                chunk = conn._recv(deadline)
                if chunk == b"" or time.monotonic() >= deadline:
                    return
            pos += n
            served += 1
            conn.request_complete.set()
            conn.send(up.response(200, f"conn{conn.index}-req{served}".encode()) + extra)
            if served == 1 and after_first and after_first(conn) is False:
                return

    return behaviour


def requests_on(conn):
    """The requests one upstream connection received, split by their framing."""
    data, out = bytes(conn.data), []
    while data:
        n = up.request_length(data)
        out.append(data[:n])
        data = data[n:]
    return out


def counters(proxy):
    proxy.signal(signal.SIGUSR1)
    line = proxy.wait_log(r"counters .* upstream_reused=\d+").group(0)
    fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    return {k: fields[k] for k in ("upstream_opened", "upstream_reused")}


def test_off_by_default_each_request_gets_a_fresh_closed_connection(make_proxy, upstream):
    upstream.answer_all(keep_serving())
    proxy = make_proxy()
    with proxy.connect() as c:
        for _ in range(3):
            assert c.request(wire.get("/latest/meta-data/")).status == 200
    assert upstream.connection_count == 3
    for data in upstream.received:
        head = data.decode("latin-1").lower()
        assert head.count("\r\nconnection: close\r\n") == 1


def test_kept_connection_carries_the_next_requests(make_proxy, upstream):
    upstream.answer_all(keep_serving())
    proxy = make_proxy("--upstream_keepalive", "4")
    bodies = []
    for i in range(3):  # separate client connections: the pool is the listener's
        with proxy.connect() as c:
            bodies.append(c.request(wire.get(f"/openstack/latest/{i}")).body)
    assert bodies == [b"conn0-req1", b"conn0-req2", b"conn0-req3"]
    assert upstream.connection_count == 1
    sent = requests_on(upstream.wait_connections(1))
    assert [r.split(b" ")[1] for r in sent] == [f"/openstack/latest/{i}".encode() for i in range(3)]
    for r in sent:
        head = r.decode("latin-1").lower()
        assert "\r\nconnection:" not in head
        assert head.count("\r\nx-neutron-network-id: ") == 1
        assert head.count("\r\nx-forwarded-for: 127.0.0.1\r\n") == 1
    assert counters(proxy) == {"upstream_opened": "1", "upstream_reused": "2"}


def test_http10_request_still_closes(make_proxy, upstream):
    upstream.answer_all(keep_serving())
    proxy = make_proxy("--upstream_keepalive", "4")
    for _ in range(2):
        assert proxy.request(wire.get("/", version="1.0")).status == 200
    assert upstream.connection_count == 2
    for data in upstream.received:
        assert b"\r\nConnection: close\r\n" in data


def test_request_with_body_never_takes_a_kept_connection(make_proxy, upstream):
    upstream.answer_all(keep_serving())
    proxy = make_proxy("--upstream_keepalive", "4")
    assert proxy.request(wire.get("/")).status == 200
    post = b"POST /openstack/latest/password HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
    assert proxy.request(post).body == b"conn1-req1"
    assert upstream.connection_count == 2
    assert up.request_body(upstream.received[1]) == b"abc"


def test_agent_closing_after_a_response_is_not_reused(make_proxy, upstream):
    """The agent answers without "Connection: close" but closes anyway: the
    proxy notices the close on the idle connection and opens a new one."""
    upstream.answer_all(up.reply(up.response(200, b"once")))
    proxy = make_proxy("--upstream_keepalive", "4")
    for _ in range(3):
        assert proxy.request(wire.get("/")).body == b"once"
        time.sleep(0.1)
    assert upstream.connection_count == 3


def test_stale_kept_connection_repeats_the_request_on_a_fresh_one(make_proxy, upstream):
    """The agent reads the second request on the kept connection and closes
    without an answer (its idle timeout raced the request): the client still
    gets its answer, from a fresh connection that got the same request."""

    def read_next_then_close(conn):
        deadline = time.monotonic() + up.WAIT
        first = up.request_length(bytes(conn.data))
        while up.request_length(bytes(conn.data[first:])) is None:
            if conn._recv(deadline) == b"" or time.monotonic() >= deadline:
                break
        return False

    upstream.answer(keep_serving(after_first=read_next_then_close))
    upstream.answer_all(keep_serving())
    proxy = make_proxy("--upstream_keepalive", "4")
    assert proxy.request(wire.get("/first")).body == b"conn0-req1"
    assert proxy.request(wire.get("/second")).body == b"conn1-req1"
    stale, fresh = requests_on(upstream.wait_connections(1)), upstream.received[1]
    assert [r.split(b" ")[1] for r in stale] == [b"/first", b"/second"]
    assert fresh == stale[1]


def test_bytes_after_a_response_end_the_connection(make_proxy, upstream):
    """A response followed by bytes nobody asked for (here: a forged second
    response) must never answer the next request."""
    forged = up.response(200, b"FORGED")
    upstream.answer(keep_serving(extra=forged))
    upstream.answer_all(keep_serving())
    proxy = make_proxy("--upstream_keepalive", "4")
    assert proxy.request(wire.get("/a")).body == b"conn0-req1"
    assert proxy.request(wire.get("/b")).body == b"conn1-req1"
    assert upstream.connection_count == 2


def test_bytes_after_a_204_are_no_body_and_end_the_connection(make_proxy, upstream):
    """RFC 9112 6.3: a 204 ends at its head whatever its Content-Length says;
    the bytes after it are not its body, and the connection is not reused."""

    def no_content_then_bytes(conn):
        conn.read_request()
        conn.send(b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello")
        deadline = time.monotonic() + up.WAIT
        while time.monotonic() < deadline and conn._recv(deadline) != b"":
            pass

    upstream.answer(no_content_then_bytes)
    upstream.answer_all(keep_serving())
    proxy = make_proxy("--upstream_keepalive", "4")
    with proxy.connect() as c:
        resp = c.request(wire.get("/a"))
        assert resp.status == 204 and resp.body == b"" and not resp.has_header("Content-Length")
        assert c.request(wire.get("/b")).body == b"conn1-req1"
    assert upstream.wait_connections(1).finished.wait(2), "the 204's connection was kept"


def test_bytes_on_an_idle_connection_end_it(make_proxy, upstream):
    forged = up.response(200, b"FORGED")

    def send_stray_later(conn):
        time.sleep(0.2)
        conn.send(forged)

    upstream.answer(keep_serving(after_first=send_stray_later))
    upstream.answer_all(keep_serving())
    proxy = make_proxy("--upstream_keepalive", "4")
    assert proxy.request(wire.get("/a")).body == b"conn0-req1"
    time.sleep(0.5)
    assert proxy.request(wire.get("/b")).body == b"conn1-req1"
    assert upstream.wait_connections(1).finished.wait(2), "the idle connection was kept"


def test_idle_kept_connection_is_closed_after_the_idle_timeout(make_proxy, upstream):
    upstream.answer_all(keep_serving())
    proxy = make_proxy("--upstream_keepalive", "4", "--timeout_upstream_idle", "0.3")
    assert proxy.request(wire.get("/")).status == 200
    conn = upstream.wait_connections(1)
    assert not conn.finished.wait(0.1)
    assert conn.finished.wait(3), "the proxy kept the idle connection past its timeout"
    assert proxy.request(wire.get("/")).body == b"conn1-req1"


def test_at_most_n_idle_connections_are_kept(make_proxy, upstream):
    """Three requests in flight at once need three connections; with
    --upstream_keepalive 1 only one of them stays for later."""
    release = threading.Event()

    def held(conn):
        conn.read_request()
        release.wait(10)
        conn.send(up.response(200, b"held"))
        deadline = time.monotonic() + up.WAIT
        while time.monotonic() < deadline and conn._recv(deadline) != b"":
            pass  # until the proxy closes the connection (or the test ends)

    upstream.answer_all(held)
    proxy = make_proxy("--upstream_keepalive", "1")
    clients = [proxy.connect() for _ in range(3)]
    try:
        for c in clients:
            c.send(wire.get("/"))
        upstream.wait_connections(3)
        release.set()
        for c in clients:
            assert c.read_response().status == 200
    finally:
        for c in clients:
            c.close()
    finished = [c.finished.wait(2) for c in upstream.conns[:3]]
    assert sorted(finished) == [False, True, True]


def test_sigterm_closes_kept_connections_while_requests_finish(make_proxy, upstream):
    """Shutdown lets in-flight requests finish but gives kept idle connections
    back to the agent at once."""
    release = threading.Event()

    def held(conn):
        conn.read_request()
        release.wait(10)
        conn.send(up.response(200, b"held"))

    upstream.answer(held)
    upstream.answer_all(keep_serving())
    proxy = make_proxy("--upstream_keepalive", "4")
    with proxy.connect() as slow:
        slow.send(wire.get("/slow"))
        upstream.wait_request(0)
        assert proxy.request(wire.get("/quick")).body == b"conn1-req1"  # conn1 is now kept
        proxy.signal(signal.SIGTERM)
        assert upstream.wait_connections(2).finished.wait(3), "kept connection outlived SIGTERM"
        assert proxy.alive()
        release.set()
        assert slow.read_response().body == b"held"
    assert proxy.wait_exit(10) == 0
