"""IPv6 listeners: the logged address, and X-Forwarded-For for IPv6 and v4-mapped peers."""

import pytest

from harness import wire


def test_ipv6_peer_is_forwarded_as_ipv6(make_proxy, upstream):
    proxy = make_proxy("--bind_host", "::1")
    assert f"listening on [::1]:{proxy.port}" in proxy.log()
    assert proxy.host == "::1"
    assert proxy.request(wire.get("/")).status == 200
    assert b"\r\nX-Forwarded-For: ::1\r\n" in upstream.received[0]
    entry = proxy.wait_access(200)
    assert entry.peer_ip in ("::1", "[::1]")


def test_ipv4_mapped_peer_is_written_as_ipv4(make_proxy, upstream):
    proxy = make_proxy("--bind_host", "::")
    try:
        client = wire.Client(proxy.port, host="127.0.0.1")
    except ConnectionRefusedError:
        pytest.skip("the :: listener is IPv6-only; no v4-mapped peers possible")
    with client:
        assert client.request(wire.get("/")).status == 200
    assert b"\r\nX-Forwarded-For: 127.0.0.1\r\n" in upstream.received[0]
    assert upstream.received[0].count(b"X-Forwarded-For") == 1
