"""What a hostile VM can put in a message body, chunk lines and trailers, and what the
proxy does with it (issue #10, defects 1-6). Each test pins one defect and fails
against the binary before its fix."""
import socket
import time

import pytest

from harness import upstream as up
from harness import wire
from harness.local_reply import check_local_reply

CHUNKED_POST = b"POST /openstack/latest/password HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"


def chunked(*parts, trailer=b""):
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n" + trailer + b"\r\n"


# -- defect 1: trailers parsed into state shared between connections ------------


def test_trailer_cut_mid_value_survives_another_connection_parsing_a_head(proxy, upstream):
    # A: a chunked POST whose trailer field stops in the middle of its value; the
    # agent waits for the rest of the body, as Neutron's does.
    a = proxy.connect()
    a.send(CHUNKED_POST + b"5\r\nhello\r\n0\r\nX-Trailer: abc")
    time.sleep(0.3)  # A's bytes are read before B's (ordering only, nothing is timed)
    # B: any head without fields, parsed while A's message is unfinished.
    with proxy.connect() as b:
        b.send(b"BOGUS / HTTP/1.1\r\n\r\n")
        resp_b = b.read_response()
    assert resp_b.status == 400
    # A finishes its value and the message.
    a.send(b"def\r\nX-More: " + b"v" * 200 + b"\r\n\r\n")
    resp_a = a.read_response()
    a.close()
    assert resp_a.status == 200
    assert proxy.alive(), proxy.log()[-3000:]
    assert up.request_body(upstream.wait_request(0)) == b"hello"
    # Trailers are validated and counted, never forwarded.
    assert b"X-Trailer" not in upstream.received[0] and b"X-More" not in upstream.received[0]


def test_trailers_after_another_head_parse_do_not_corrupt_memory(proxy, upstream):
    # As above, then so many trailer fields that shared storage would have to grow:
    # the release build used to abort in free() here.
    a = proxy.connect()
    a.send(CHUNKED_POST + b"5\r\nhello\r\n0\r\nX-Trailer: abc")
    time.sleep(0.3)
    with proxy.connect() as b:
        b.send(b"BOGUS / HTTP/1.1\r\n\r\n")
        assert b.read_response().status == 400
    a.send(b"def\r\n" + b"".join(b"T%d: v\r\n" % i for i in range(150)) + b"\r\n",
           stop_on_reply=True)
    resp_a = a.read_response("POST")
    a.close()
    check_local_reply(resp_a, 431, "trailers_too_large")
    assert proxy.alive(), proxy.log()[-3000:]
    assert proxy.request(wire.get("/")).status == 200


def test_many_connections_interleaving_trailers_and_heads(proxy, upstream):
    upstream.answer_all(up.reply(up.response(200, b"ok")))
    clients = [proxy.connect() for _ in range(6)]
    for c in clients:
        c.send(CHUNKED_POST + b"1\r\nx\r\n0\r\nT1: a")
    for i, c in enumerate(clients):
        with proxy.connect() as other:
            other.send(b"GET /%d HTTP/1.1\r\nHost: h\r\nA: %s\r\n\r\n" % (i, b"b" * i))
            assert other.read_response().status == 200
        c.send(b"bc\r\nT2: " + b"z" * (50 * i) + b"\r\n")
    for c in clients:
        c.send(b"\r\n")
        assert c.read_response().status == 200
        c.close()
    assert proxy.alive()


# -- defect 2: trailers without limits ------------------------------------------


def test_too_many_trailer_fields_is_431(expect_local_reply):
    trailer = b"".join(b"T%d: v\r\n" % i for i in range(101))
    expect_local_reply(CHUNKED_POST + chunked(b"hi", trailer=trailer), 431, "trailers_too_large",
                       method="POST", body_phase=True)


def test_trailer_section_over_32k_is_431(expect_local_reply):
    trailer = b"T: " + b"v" * (33 * 1024) + b"\r\n"
    expect_local_reply(CHUNKED_POST + chunked(b"hi", trailer=trailer), 431, "trailers_too_large",
                       method="POST", body_phase=True)


def test_a_flood_of_trailers_does_not_grow_memory(proxy, upstream):
    base = proxy.rss_kib()
    with proxy.connect() as c:
        c.send(CHUNKED_POST + b"2\r\nhi\r\n0\r\n", stop_on_reply=True)
        sent = 0
        block = b"a:b\r\n" * 20000  # 100 KB per write, 20 MB at most
        try:
            while sent < 20 * 1024 * 1024 and not wire.wait_readable(c.sock, 0):
                c.sock.sendall(block)
                sent += len(block)
        except (BrokenPipeError, ConnectionResetError):
            pass
        resp = c.read_response("POST")
    check_local_reply(resp, 431, "trailers_too_large")
    # (What the client sent after the refusal was read and dropped by the
    # lingering close, never stored.)
    assert proxy.rss_kib() < base + 2048


# -- defect 3: bare CR or LF in the chunked framing ----------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"5\r\nhello\r\n0\r\n\rX",  # a bare CR where the final CRLF belongs
        b"5\nhello\r\n0\r\n\r\n",  # bare LF after the chunk size
        b"5\r\nhello\n0\r\n\r\n",  # bare LF after the chunk data
        b"5\r\nhello\r\r\n0\r\n\r\n",  # CR CR LF after the data
        b"5;a=b\rx\r\nhello\r\n0\r\n\r\n",  # bare CR inside an extension
        b"5\r\nhello\r\n0\r\nT: v\n\r\n",  # bare LF ending a trailer
        b"5\r\nhello\r\n0\n\r\n",  # bare LF after the last chunk
    ],
    ids=["cr-at-end", "lf-after-size", "lf-after-data", "crcr-after-data", "cr-in-ext",
         "lf-in-trailer", "lf-after-last"],
)
def test_bare_cr_or_lf_anywhere_in_chunked_framing_is_400(expect_local_reply, body):
    smuggled = b"GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"
    resp = expect_local_reply(CHUNKED_POST + body + smuggled, 400, "invalid_chunk",
                              method="POST", body_phase=True)
    assert b"smuggled" not in resp.raw


def test_bare_cr_at_end_serves_no_second_request(proxy, upstream):
    with proxy.connect() as c:
        c.send(CHUNKED_POST + b"5\r\nhello\r\n0\r\n\rGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n")
        resp = c.read_response("POST")
        assert resp.status == 400
        assert c.wait_closed()
    assert all(b"/smuggled" not in got for got in upstream.received)


# -- defect 4: chunk-size lines without a limit ---------------------------------


def test_long_chunk_extension_is_400_even_under_max_body(make_proxy, upstream):
    proxy = make_proxy("--max_body_size", "1000")
    body = b"5;x=" + b"e" * (64 * 1024) + b"\r\nhello\r\n0\r\n\r\n"
    with proxy.connect() as c:
        c.send(CHUNKED_POST + body, stop_on_reply=True)
        resp = c.read_response("POST")
    check_local_reply(resp, 400, "chunk_line_too_long")


def test_long_chunk_size_digits_are_400(expect_local_reply):
    body = b"0" * 5000 + b"5\r\nhello\r\n0\r\n\r\n"
    expect_local_reply(CHUNKED_POST + body, 400, "chunk_line_too_long", method="POST",
                       body_phase=True)


@pytest.mark.parametrize("line", [b"5;\x01=1", b"5 ", b";a", b"5;a=\"x", b"x5", b"5;=b",
                                  b"5;a ", b"11111111111111111"])
def test_malformed_chunk_size_line_is_400(expect_local_reply, line):
    expect_local_reply(CHUNKED_POST + line + b"\r\nhello\r\n0\r\n\r\n", 400, "invalid_chunk",
                       method="POST", body_phase=True)


@pytest.mark.parametrize("line", [b"5;a=b", b"5 ; a = \"q\\\"x\"", b"5;a;b=c", b"00005", b"5 ;a"])
def test_well_formed_chunk_extensions_pass(proxy, upstream, line):
    resp = proxy.request(CHUNKED_POST + line + b"\r\nhello\r\n0\r\n\r\n")
    assert resp.status == 200
    assert up.request_body(upstream.received[0]) == b"hello"


# -- defect 5: an oversized response head from the agent ------------------------


def test_upstream_head_over_limit_is_502_at_once(make_proxy, upstream):
    proxy = make_proxy("--timeout_server", "30")
    big = [(f"X-Big-{i}", "v" * 4000) for i in range(12)]  # ~48 KiB of fields
    upstream.answer(up.reply(up.response(200, b"ok", headers=big)))
    started = time.monotonic()
    with proxy.connect() as c:
        resp = c.request(wire.get("/"))
    check_local_reply(resp, 502, "upstream_head_too_large")
    assert time.monotonic() - started < 20, "the proxy waited for timeout_server"


def test_upstream_head_over_16k_within_limits_is_relayed(make_proxy, upstream):
    proxy = make_proxy("--timeout_server", "30")
    big = [(f"X-Big-{i}", "v" * 4000) for i in range(5)]  # ~20 KiB: under 32 KiB of fields
    upstream.answer(up.reply(up.response(200, b"ok", headers=big)))
    with proxy.connect() as c:
        resp = c.request(wire.get("/"))
    assert resp.status == 200 and resp.body == b"ok"
    assert resp.header("X-Big-4") == "v" * 4000


# -- defect 6: one source takes every connection --------------------------------


def test_connections_per_source_are_capped(make_proxy, upstream):
    proxy = make_proxy("--maxconn_per_source", "3")
    held = [proxy.connect() for _ in range(3)]
    for c in held:
        c.send(b"GET / HTTP/1.1\r\n")  # a head in progress
    with proxy.connect() as extra:
        resp = extra.read_response()
        check_local_reply(resp, 429, "too_many_connections")
        assert extra.wait_closed()
    proxy.wait_access(429, "too_many_connections")
    # Another source address is not affected.
    other = socket.create_connection(("127.0.0.1", proxy.port), source_address=("127.0.0.2", 0),
                                     timeout=5)
    other.sendall(wire.get("/"))
    resp = wire.read_response(wire.Reader(other))
    other.close()
    assert resp.status == 200
    # A closed connection frees its place.
    held.pop().close()

    def served():
        with proxy.connect() as c:
            return c.request(wire.get("/")).status == 200

    wire.wait_for(served, what="a freed connection slot")
    for c in held:
        c.close()
    proxy.signal(__import__("signal").SIGUSR1)
    line = proxy.wait_log(r"counters .*too_many_connections=1")
    assert line


# -- a refused HEAD gets no body --------------------------------------------------


@pytest.mark.parametrize("raw", [
    b"HEAD /latest HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n",  # refused once parsed
    b"HEAD /latest HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",      # refused by the scanner
])
def test_a_refused_head_request_gets_a_reply_without_body(proxy, upstream, raw):
    """A reply to HEAD has no body (RFC 9110 §9.3.2), also when the proxy refuses the
    request before its head is parsed: a client that asked HEAD reads no body, so
    the body's bytes would be taken for the next response."""
    with proxy.connect() as c:
        c.send(raw)
        c.reader.wait_eof(time.monotonic() + 5)
        got = bytes(c.reader.buf)
    head, sep, rest = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n"), got
    assert sep and rest == b"", f"a body after the head: {rest!r}"
    assert b"Content-Length: " in head  # what a GET would have got, as HEAD must say
    assert upstream.received == []
