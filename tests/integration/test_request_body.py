"""Request bodies: Content-Length and chunked, limits, Expect: 100-continue."""
import time

import pytest

from harness import upstream as up
from harness.local_reply import check_local_reply
from harness.proxy import NETWORK_ID

TAIL = f"X-Neutron-Network-ID: {NETWORK_ID}\r\nX-Forwarded-For: 127.0.0.1\r\nConnection: close\r\n"


def test_content_length_body_is_forwarded_exactly(proxy, upstream, feed):
    raw = b"POST /latest/api/token HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nX-A: 1\r\n\r\nhello world"
    resp = proxy.request(raw, feed)
    assert resp.status == 200
    assert upstream.received == [
        ("POST /latest/api/token HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n" + TAIL
         + "Content-Length: 11\r\n\r\nhello world").encode()
    ]


def test_chunked_body_is_reframed_without_extensions_or_trailers(proxy, upstream, feed):
    raw = (b"PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
    resp = proxy.request(raw, feed)
    assert resp.status == 200
    [got] = upstream.received
    head, body = up.split_request(got)
    prefix = ("PUT /x HTTP/1.1\r\nHost: h\r\n" + TAIL).encode()
    assert head in (prefix + b"Content-Length: 11\r\n\r\n",
                    prefix + b"Transfer-Encoding: chunked\r\n\r\n")
    assert up.request_body(got) == b"hello world"
    assert b"ext=1" not in got and b"X-Trailer" not in got


def test_empty_chunked_body(proxy, upstream, feed):
    raw = b"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    assert proxy.request(raw, feed).status == 200
    assert up.request_body(upstream.received[0]) == b""


def test_zero_content_length(proxy, upstream, feed):
    raw = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"
    assert proxy.request(raw, feed).status == 200
    got = upstream.received[0]
    assert got.startswith(b"POST /x HTTP/1.1\r\nHost: h\r\n")
    assert up.request_body(got) == b""


def big_body(n):
    return bytes((i * 7 + i // 251) % 256 for i in range(n))


BIG = big_body(900 * 1024)  # under the 1 MiB default


def test_large_content_length_body_under_limit_is_streamed_intact(proxy, upstream):
    raw = b"POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % len(BIG) + BIG
    resp = proxy.request(raw)
    assert resp.status == 200
    got = upstream.received[0]
    assert b"\r\nContent-Length: %d\r\n" % len(BIG) in got
    assert up.request_body(got) == BIG


def test_large_chunked_body_under_limit_is_streamed_intact(proxy, upstream):
    chunks = b"".join(b"%x\r\n" % len(BIG[i:i + 10000]) + BIG[i:i + 10000] + b"\r\n"
                      for i in range(0, len(BIG), 10000))
    raw = b"POST /big HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    resp = proxy.request(raw)
    assert resp.status == 200
    assert up.request_body(upstream.received[0]) == BIG


def test_content_length_over_default_limit_is_413(expect_local_reply, feed):
    # Announced size over 1 MiB: refused from the head alone.
    raw = b"POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\nabc" % ((1 << 20) + 1)
    expect_local_reply(raw, 413, "body_too_large", feed)


def test_content_length_at_default_limit_is_accepted(proxy, upstream):
    body = b"z" * (1 << 20)
    resp = proxy.request(b"POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert resp.status == 200
    assert up.request_body(upstream.received[0]) == body


def test_chunked_body_over_limit_is_413_and_never_complete_upstream(make_proxy, upstream):
    proxy = make_proxy("--max_body_size", "1000")
    raw = (b"POST /big HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
           + b"".join(b"64\r\n" + b"q" * 100 + b"\r\n" for _ in range(11)) + b"0\r\n\r\n")
    with proxy.connect() as c:
        c.send(raw, stop_on_reply=True)
        resp = c.read_response()
        check_local_reply(resp, 413, "body_too_large")
        assert c.wait_closed()
    proxy.wait_access(413, "body_too_large")
    # Whatever was streamed before the limit was hit, the agent never saw a whole request.
    for got in upstream.received:
        assert up.request_length(got) is None, got


def test_max_body_size_option_applies_to_content_length(make_proxy, upstream):
    proxy = make_proxy("--max_body_size", "10")
    ok = proxy.request(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789")
    assert ok.status == 200
    with proxy.connect() as c:
        c.send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n0123456789a")
        check_local_reply(c.read_response(), 413, "body_too_large")
    assert len(upstream.received) == 1


def test_expect_100_continue_is_answered_by_the_proxy(proxy, upstream):
    with proxy.connect() as c:
        c.send(b"POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        interim = c.reader.read_until(b"\r\n\r\n", deadline=time.monotonic() + 5)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        c.send(b"hello")
        resp = c.read_response()
        assert resp.status == 200 and resp.body == b"ok"
    [got] = upstream.received
    assert b"expect" not in got.lower()
    assert got == ("POST /x HTTP/1.1\r\nHost: h\r\n" + TAIL + "Content-Length: 5\r\n\r\nhello").encode()


def test_expect_100_continue_with_body_already_sent(proxy, upstream, feed):
    raw = b"POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"
    with proxy.connect() as c:
        c.send(raw, feed)
        resp = c.read_response()
        assert resp.status == 200
        assert all(i.status == 100 for i in resp.interim)
    assert up.request_body(upstream.received[0]) == b"hello"
    assert b"expect" not in upstream.received[0].lower()


def test_expect_100_continue_over_limit_is_413_without_continue(make_proxy, upstream):
    proxy = make_proxy("--max_body_size", "10")
    with proxy.connect() as c:
        c.send(b"POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n")
        resp = c.read_response()
        assert resp.status == 413 and resp.interim == []
    assert upstream.received == []


def test_unknown_expectation_is_417(expect_local_reply, feed):
    raw = b"POST /x HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx"
    expect_local_reply(raw, 417, "expectation_failed", feed)


@pytest.mark.parametrize("method", [b"GET", b"DELETE", b"OPTIONS"])
def test_body_on_other_methods_is_forwarded(proxy, upstream, method):
    raw = method + b" /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
    assert proxy.request(raw, method=method.decode()).status == 200
    assert up.request_body(upstream.received[0]) == b"hi"


@pytest.mark.parametrize("size", [0, 10, 2000])
def test_small_request_reaches_a_single_recv_agent_whole(proxy, upstream, size):
    upstream.answer_all(up.single_recv_like_neutron)
    body = b"p" * size
    for _ in range(5):
        resp = proxy.request(b"POST /openstack/latest/password HTTP/1.1\r\nHost: h\r\n"
                             b"Content-Length: %d\r\n\r\n" % size + body)
        assert resp.body == b"complete"
    assert all(up.request_body(r) == body for r in upstream.received)


def test_expect_on_http10_is_ignored(proxy, upstream, feed):
    """RFC 9110 10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored."""
    raw = b"POST /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"
    with proxy.connect() as c:
        c.send(raw, feed)
        resp = c.read_response()
    assert resp.status == 200 and resp.interim == []
    assert up.request_body(upstream.received[0]) == b"hello"


def test_chunked_token_is_case_insensitive(proxy, upstream, feed):
    raw = b"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    assert proxy.request(raw, feed).status == 200
    assert up.request_body(upstream.received[0]) == b"abc"


def test_content_length_with_leading_zeros(proxy, upstream, feed):
    raw = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 005\r\n\r\nhello"
    with proxy.connect() as c:
        c.send(raw, feed)
        assert c.read_response().status == 200
        assert c.pending_bytes(wait=0.1) == b""
    assert up.request_body(upstream.received[0]) == b"hello"
