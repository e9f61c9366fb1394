"""Responses from the agent reach the client correctly framed."""
import pytest

from harness import upstream as up
from harness import wire

PAYLOAD = b"{\"uuid\": \"d8e02d56-2648-415b-a1d5-2f4c4b1a7a3e\"}\n" * 50


def test_content_length_response_is_passed_through(proxy, upstream):
    upstream.answer(up.reply(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Nova: 1\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(PAYLOAD) + PAYLOAD))
    with proxy.connect() as c:
        resp = c.request(wire.get("/openstack/latest/meta_data.json"))
        assert resp.status == 200 and resp.reason == "OK"
        assert resp.body == PAYLOAD
        assert resp.framing == "length"
        assert resp.header("Content-Length") == str(len(PAYLOAD))
        assert resp.header("Content-Type") == "application/json"
        assert resp.header("X-Nova") == "1"
        assert resp.raw == (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Nova: 1\r\n"
                            b"Content-Length: %d\r\n\r\n" % len(PAYLOAD) + PAYLOAD)
        assert c.request(wire.get("/next")).status == 200  # still in sync


def test_upstream_status_and_reason_pass_through(proxy, upstream):
    upstream.answer(up.reply(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"))
    resp = proxy.request(wire.get("/nope"))
    assert (resp.status, resp.reason, resp.body) == (404, "Not Found", b"not found")
    entry = proxy.wait_access(404)
    assert entry.reason == "-"


def test_chunked_response_is_delivered_and_connection_stays_usable(proxy, upstream):
    upstream.answer(up.reply_in_parts([
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"10\r\n" + PAYLOAD[:16] + b"\r\n",
        b"%x;ext=2\r\n" % (len(PAYLOAD) - 16) + PAYLOAD[16:] + b"\r\n",
        b"0\r\nX-Trailer: dropped-or-kept\r\n\r\n",
    ], pause=0.02))
    with proxy.connect() as c:
        resp = c.request(wire.get("/"))
        assert resp.status == 200 and resp.body == PAYLOAD
        assert resp.framing in ("chunked", "length")
        assert c.request(wire.get("/next")).body == b"ok"


def test_close_delimited_response_is_rechunked_for_http11(proxy, upstream):
    upstream.answer(up.reply_in_parts([b"HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n", PAYLOAD[:100], PAYLOAD[100:]]))
    with proxy.connect() as c:
        resp = c.request(wire.get("/"))
        assert resp.status == 200 and resp.body == PAYLOAD
        assert resp.framing == "chunked"
        assert resp.raw.startswith(b"HTTP/1.1 200 OK\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
        assert "close" not in resp.connection_tokens()
        assert c.request(wire.get("/next")).body == b"ok"  # keep-alive kept


def test_close_delimited_http10_upstream_response(proxy, upstream):
    upstream.answer(up.reply(b"HTTP/1.0 200 OK\r\n\r\n" + PAYLOAD))
    with proxy.connect() as c:
        resp = c.request(wire.get("/"))
        assert resp.version == "HTTP/1.1"
        assert resp.body == PAYLOAD and resp.framing == "chunked"


def test_close_delimited_response_to_http10_client_is_closed(proxy, upstream):
    upstream.answer(up.reply_in_parts([b"HTTP/1.1 200 OK\r\n\r\n", PAYLOAD]))
    with proxy.connect() as c:
        resp = c.request(b"GET / HTTP/1.0\r\n\r\n")
        assert resp.status == 200 and resp.body == PAYLOAD
        assert resp.framing in ("close", "length")
        assert not resp.has_header("Transfer-Encoding")
        if resp.framing == "length":
            assert c.wait_closed()


def test_chunked_response_to_http10_client_is_not_chunked(proxy, upstream):
    upstream.answer(up.reply(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
    with proxy.connect() as c:
        resp = c.request(b"GET / HTTP/1.0\r\n\r\n")
        assert resp.body == b"hello"
        assert not resp.has_header("Transfer-Encoding")


def test_head_response_has_no_body(proxy, upstream, feed):
    upstream.answer(up.reply(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"))
    with proxy.connect() as c:
        resp = c.request(b"HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n", feed)
        assert resp.status == 200 and resp.body == b""
        assert resp.header("Content-Length") in (None, "1234")
        # Nothing but the next response follows: the connection is still in sync.
        nxt = c.request(wire.get("/next"))
        assert nxt.status == 200 and nxt.body == b"ok"
    assert upstream.received[0].startswith(b"HEAD /x HTTP/1.1\r\n")


@pytest.mark.parametrize("status", [204, 304])
def test_bodyless_statuses(proxy, upstream, status):
    reason = {204: b"No Content", 304: b"Not Modified"}[status]
    upstream.answer(up.reply(b"HTTP/1.1 %d %s\r\nETag: \"x\"\r\n\r\n" % (status, reason)))
    with proxy.connect() as c:
        resp = c.request(wire.get("/"))
        assert resp.status == status and resp.body == b""
        assert not resp.has_header("Transfer-Encoding")
        if status == 304:
            assert resp.header("ETag") == '"x"'
        assert c.request(wire.get("/next")).body == b"ok"


def test_interim_1xx_from_upstream_then_final(proxy, upstream):
    upstream.answer(up.reply(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                             b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"))
    with proxy.connect() as c:
        resp = c.request(wire.get("/"))
        assert resp.status == 200 and resp.body == b"body"
        assert all(100 <= i.status < 200 for i in resp.interim)
        assert c.request(wire.get("/next")).body == b"ok"


def test_interim_1xx_is_not_sent_to_http10_client(proxy, upstream):
    upstream.answer(up.reply(b"HTTP/1.1 100 Continue\r\n\r\n"
                             b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"))
    with proxy.connect() as c:
        resp = c.request(b"GET / HTTP/1.0\r\n\r\n")
        assert resp.interim == [] and resp.body == b"body"


def test_response_byte_by_byte_from_upstream(proxy, upstream):
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-B: 2\r\n\r\nhello"
    upstream.answer(up.reply_in_parts([raw[i:i + 1] for i in range(len(raw))], pause=0.001))
    resp = proxy.request(wire.get("/"))
    assert resp.body == b"hello" and resp.header("X-B") == "2"


def test_large_response_is_streamed(proxy, upstream):
    total = 8 * 1024 * 1024
    upstream.answer(up.stream_large_body(total))
    with proxy.connect() as c:
        c.send(wire.get("/big"))
        resp = c.read_response(timeout=30)
    assert resp.status == 200 and len(resp.body) == total and set(resp.body) == {ord("x")}
    assert proxy.wait_access(200).bytes == len(resp.raw)


def test_upstream_connection_close_does_not_close_the_client(proxy, upstream):
    """The agent always closes; the client's keep-alive is the proxy's business."""
    upstream.answer(up.reply(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"))
    with proxy.connect() as c:
        resp = c.request(wire.get("/"))
        assert resp.raw == b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        assert c.request(wire.get("/next")).status == 200


def test_http10_client_gets_connection_close(proxy, upstream):
    with proxy.connect() as c:
        resp = c.request(b"GET / HTTP/1.0\r\n\r\n")
        assert resp.body == b"ok"
        assert resp.connection_tokens() == ["close"]
        assert not resp.has_header("Transfer-Encoding")
        assert c.wait_closed()
