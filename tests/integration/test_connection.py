"""Hop-by-hop headers, keep-alive and pipelining toward the client."""
import threading

from harness import upstream as up
from harness import wire
from harness.proxy import NETWORK_ID

TAIL = f"X-Neutron-Network-ID: {NETWORK_ID}\r\nX-Forwarded-For: 127.0.0.1\r\nConnection: close\r\n\r\n"


def test_hop_by_hop_request_headers_are_removed(proxy, upstream, feed):
    raw = (b"GET /openstack HTTP/1.1\r\n"
           b"Host: 169.254.169.254\r\n"
           b"Connection: keep-alive, X-Secret, x-other\r\n"
           b"X-Secret: 1\r\n"
           b"X-Other: 2\r\n"
           b"Keep-Alive: timeout=5\r\n"
           b"Proxy-Connection: keep-alive\r\n"
           b"TE: trailers\r\n"
           b"Trailer: X-T\r\n"
           b"Upgrade: websocket\r\n"
           b"X-Keep: yes\r\n\r\n")
    resp = proxy.request(raw, feed)
    assert resp.status == 200
    assert upstream.received == [
        ("GET /openstack HTTP/1.1\r\nHost: 169.254.169.254\r\nX-Keep: yes\r\n" + TAIL).encode()
    ]


def test_hop_by_hop_response_headers_are_removed(proxy, upstream):
    upstream.answer(up.reply(
        b"HTTP/1.1 200 OK\r\n"
        b"Connection: X-Up-Secret\r\n"
        b"X-Up-Secret: 1\r\n"
        b"Keep-Alive: timeout=1\r\n"
        b"Proxy-Connection: close\r\n"
        b"Trailer: X-T\r\n"
        b"X-Up-Keep: yes\r\n"
        b"Content-Length: 2\r\n\r\nok"))
    with proxy.connect() as c:
        resp = c.request(wire.get("/"))
        assert resp.status == 200 and resp.body == b"ok"
        names = {n.lower() for n, _ in resp.headers}
        assert "x-up-keep" in names
        for gone in ("x-up-secret", "keep-alive", "proxy-connection", "trailer"):
            assert gone not in names, resp.raw
        assert "close" not in resp.connection_tokens()
        # The client connection stays usable.
        assert c.request(wire.get("/again")).status == 200


def test_keep_alive_serves_several_requests_on_one_connection(proxy, upstream, feed):
    upstream.answer_all(up.echo_target)
    with proxy.connect() as c:
        for i in range(4):
            resp = c.request(wire.get(f"/req/{i}"), feed)
            assert resp.status == 200 and resp.body == f"/req/{i}".encode()
            assert "close" not in resp.connection_tokens()
    # One fresh upstream connection per request, each exactly one request.
    assert [r.split(b"\r\n")[0] for r in upstream.received] == [
        f"GET /req/{i} HTTP/1.1".encode() for i in range(4)
    ]
    for r in upstream.received:
        assert r.endswith(TAIL.encode())


def test_client_connection_close_is_honoured(proxy, upstream):
    with proxy.connect() as c:
        resp = c.request(wire.get("/", extra=b"Connection: close\r\n"))
        assert resp.status == 200
        assert "close" in resp.connection_tokens()
        assert c.wait_closed()


def test_http10_client_is_closed_after_response(proxy, upstream):
    with proxy.connect() as c:
        resp = c.request(b"GET / HTTP/1.0\r\n\r\n")
        assert resp.status == 200 and resp.body == b"ok"
        assert c.wait_closed()


def test_pipelined_requests_are_answered_in_order(proxy, upstream):
    release_first = threading.Event()
    # The first request's answer is held back until the later ones could have
    # been answered; responses must still come back in request order.
    upstream.answer(up.wait_then_reply(release_first, up.response(200, b"/p/0")))
    upstream.answer_all(up.echo_target)
    with proxy.connect() as c:
        c.send(b"".join(wire.get(f"/p/{i}") for i in range(3)))  # one write
        upstream.wait_request(0)
        release_first.set()
        bodies = [c.read_response().body for _ in range(3)]
    assert bodies == [b"/p/0", b"/p/1", b"/p/2"]
    assert [r.split(b"\r\n")[0] for r in upstream.received] == [
        f"GET /p/{i} HTTP/1.1".encode() for i in range(3)
    ]


def test_pipelined_requests_with_bodies(proxy, upstream, feed):
    upstream.answer_all(up.echo_target)
    reqs = (b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
            b"POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n"
            b"GET /c HTTP/1.1\r\nHost: h\r\n\r\n")
    with proxy.connect() as c:
        c.send(reqs, feed)
        bodies = [c.read_response().body for _ in range(3)]
    assert bodies == [b"/a", b"/b", b"/c"]
    assert [up.request_body(r) for r in upstream.received] == [b"abc", b"de", b""]


def test_keep_alive_timeout_closes_idle_connection(make_proxy, upstream):
    proxy = make_proxy("--timeout_http_keep_alive", "0.3")
    with proxy.connect() as c:
        assert c.request(wire.get("/")).status == 200
        assert c.wait_closed(timeout=5)


def test_bad_request_in_a_pipeline_stops_the_pipeline(proxy, upstream, feed):
    """Requests after a rejected one are never forwarded (nothing smuggled)."""
    from harness.local_reply import check_local_reply

    upstream.answer_all(up.echo_target)
    pipeline = (wire.get("/a")
                + b"GET /b HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                + wire.get("/c"))
    with proxy.connect() as c:
        c.send(pipeline, feed, stop_on_reply=False)
        assert c.read_response().body == b"/a"
        check_local_reply(c.read_response(), 400, "content_length_and_transfer_encoding")
        assert c.wait_closed()
    assert [r.split(b"\r\n")[0] for r in upstream.received] == [b"GET /a HTTP/1.1"]


def test_body_that_looks_like_a_request_stays_a_body(proxy, upstream, feed):
    inner = wire.get("/inner")
    raw = b"POST /outer HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % len(inner) + inner
    upstream.answer_all(up.echo_target)
    with proxy.connect() as c:
        c.send(raw, feed)
        assert c.read_response().body == b"/outer"
        assert c.pending_bytes(wait=0.2) == b""
    assert len(upstream.received) == 1
    assert up.request_body(upstream.received[0]) == inner


def test_target_with_query_and_escapes_is_forwarded_verbatim(proxy, upstream, feed):
    target = b"/openstack/2018-08-27/meta_data.json?a=%20b&c=%2F&d=/../x;y"
    proxy.request(b"GET " + target + b" HTTP/1.1\r\nHost: h\r\n\r\n", feed)
    assert upstream.received[0].split(b"\r\n")[0] == b"GET " + target + b" HTTP/1.1"
