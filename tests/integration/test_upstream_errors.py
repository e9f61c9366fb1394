"""Timeouts and a failing agent: 408, 503, 504, 502."""
import os
import shutil
import signal
import socket
import time

import pytest

from harness import proxy as proxy_mod
from harness import upstream as up
from harness import wire
from harness.local_reply import check_local_reply


def local_reply_on_fresh_connection(proxy, raw, code, reason, timeout=10):
    with proxy.connect(timeout=timeout) as c:
        c.send(raw)
        resp = c.read_response()
        check_local_reply(resp, code, reason)
        assert resp.connection_tokens() == ["close"]
        assert c.wait_closed()
    entry = proxy.wait_access(code, reason, peer_port=c.local_port)
    assert entry.bytes == len(resp.raw)
    return resp


@pytest.mark.parametrize("partial", [
    b"GET / HTTP/1.1\r\nHost: h\r\n",  # head never completes
    b"GE",  # request line never completes
])
def test_incomplete_head_times_out_with_408(make_proxy, upstream, partial):
    proxy = make_proxy("--timeout_http_request", "0.5")
    local_reply_on_fresh_connection(proxy, partial, 408, "request_timeout")
    assert upstream.received == []


def test_slow_head_trickle_still_times_out(make_proxy, upstream):
    """timeout_http_request bounds the whole head, not the gap between bytes."""
    proxy = make_proxy("--timeout_http_request", "0.5")
    with proxy.connect(timeout=10) as c:
        c.send(b"GET / HTTP/1.1\r\nHost: h\r\n")
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and not c.pending_bytes(wait=0.1):
            if c.send(b"X-Slow: 1\r\n") < 0:
                break
        check_local_reply(c.read_response(), 408, "request_timeout")
    assert upstream.received == []


def test_upstream_socket_absent_is_503(make_proxy, upstream_path, workdir):
    proxy = make_proxy()  # no upstream fixture: nothing listens on the path
    assert not os.path.exists(upstream_path)
    local_reply_on_fresh_connection(proxy, wire.get("/"), 503, "upstream_unavailable")


def test_upstream_socket_not_listening_is_503(make_proxy, upstream_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(upstream_path)  # bound, never listening: connect() is refused
    try:
        proxy = make_proxy()
        local_reply_on_fresh_connection(proxy, wire.get("/"), 503, "upstream_unavailable")
    finally:
        sock.close()


def test_upstream_recovers_after_503(make_proxy, upstream_path):
    proxy = make_proxy()
    local_reply_on_fresh_connection(proxy, wire.get("/"), 503, "upstream_unavailable")
    agent = up.Upstream(upstream_path).start()
    try:
        assert proxy.request(wire.get("/")).status == 200
        assert len(agent.received) == 1
    finally:
        agent.stop()


def test_silent_upstream_is_504(make_proxy, upstream):
    proxy = make_proxy("--timeout_server", "0.5")
    upstream.answer(up.never_answer)
    local_reply_on_fresh_connection(proxy, wire.get("/slow"), 504, "upstream_timeout")
    assert upstream.received[0].startswith(b"GET /slow HTTP/1.1\r\n")


def test_upstream_stalling_mid_headers_is_504(make_proxy, upstream):
    proxy = make_proxy("--timeout_server", "0.5")

    def stall(conn):
        conn.read_request()
        conn.send(b"HTTP/1.1 200 OK\r\nX-Partial: 1\r\n")
        conn.hold()

    upstream.answer(stall)
    local_reply_on_fresh_connection(proxy, wire.get("/"), 504, "upstream_timeout")


@pytest.mark.parametrize("garbage", [
    b"NOT HTTP AT ALL\r\n\r\n",
    b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
    b"HTTP/1.1 \r\nContent-Length: 0\r\n\r\n",  # llhttp: status 0 (response fuzzer)
    b"HTTP/1.1 600 Beyond\r\nContent-Length: 0\r\n\r\n",
], ids=["not_http", "bad_status", "differing_cl", "cl_and_te", "nul_in_value", "no_colon",
        "empty_status", "status_600"])
def test_invalid_upstream_response_is_502(proxy, upstream, garbage):
    upstream.answer(up.reply(garbage))
    local_reply_on_fresh_connection(proxy, wire.get("/"), 502, "invalid_upstream_response")


def test_upstream_closing_without_answer_is_502(proxy, upstream):
    upstream.answer(up.close_without_answer)
    local_reply_on_fresh_connection(proxy, wire.get("/"), 502, "invalid_upstream_response")


def test_upstream_closing_mid_body_closes_client(proxy, upstream):
    """Once the status was sent nothing can be replaced: the client sees a truncated
    message and a closed connection, never a second response."""
    upstream.answer(up.reply(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-some"))
    with proxy.connect() as c:
        c.send(wire.get("/"))
        with pytest.raises(AssertionError):
            c.read_response()
        assert c.reader.eof


def test_error_on_keep_alive_connection_after_good_request(make_proxy, upstream):
    proxy = make_proxy("--timeout_server", "0.5")
    upstream.answer(up.DEFAULT, up.never_answer)
    with proxy.connect() as c:
        assert c.request(wire.get("/a")).status == 200
        resp = c.request(wire.get("/b"))
        check_local_reply(resp, 504, "upstream_timeout")
        assert c.wait_closed()


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace to count connect() calls")
def test_503_comes_after_three_connect_attempts(binary, workdir, upstream_path):
    """Neutron configures haproxy with `retries 3`: three attempts, then 503."""
    trace = os.path.join(workdir, "connect.trace")
    args = proxy_mod.neutron_args(workdir, upstream_path)
    proxy = proxy_mod.Proxy("strace", workdir,
                            ["-f", "-qq", "-e", "trace=connect", "-o", trace, binary, *args])
    try:
        proxy.start()
        local_reply_on_fresh_connection(proxy, wire.get("/"), 503, "upstream_unavailable")
        with open(trace) as f:
            attempts = [line for line in f if "connect(" in line and upstream_path in line]
        assert len(attempts) == 3, attempts
    finally:
        # Kill the traced proxy (our grandchild) by pid first, then strace.
        children = []
        for task in os.listdir(f"/proc/{proxy.pid}/task"):
            with open(f"/proc/{proxy.pid}/task/{task}/children") as f:
                children += [int(p) for p in f.read().split()]
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        proxy.stop()
