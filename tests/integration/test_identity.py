"""Only the proxy says who is asking: spoofed identity headers never reach the agent."""
import pytest

from harness import upstream as up
from harness.proxy import NETWORK_ID, ROUTER_ID


def forwarded(request_line, headers, identity=f"X-Neutron-Network-ID: {NETWORK_ID}"):
    """The exact head the agent must receive for a body-less request."""
    return (
        request_line + "\r\n"
        + "".join(h + "\r\n" for h in headers)
        + identity + "\r\n"
        + "X-Forwarded-For: 127.0.0.1\r\n"
        + "Connection: close\r\n\r\n"
    ).encode()


def test_plain_get_is_forwarded_exactly(proxy, upstream, feed):
    raw = b"GET /latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\nUser-Agent: cloud-init/22.4.2\r\nAccept: */*\r\n\r\n"
    resp = proxy.request(raw, feed)
    assert resp.status == 200 and resp.body == b"ok"
    assert upstream.received == [
        forwarded("GET /latest/meta-data/ HTTP/1.1",
                  ["Host: 169.254.169.254", "User-Agent: cloud-init/22.4.2", "Accept: */*"])
    ]
    entry = proxy.wait_access(200)
    assert entry.reason == "-"
    assert entry.request_line == "GET /latest/meta-data/ HTTP/1.1"
    assert entry.bytes == len(resp.raw)


SPOOFED = [
    "X-Neutron-Network-ID: evil-net",
    "x-neutron-network-id: evil-net",
    "X-NEUTRON-ROUTER-ID: evil-router",
    "X-Neutron-Router-Id: evil-router",
    "X-OVN-Network-ID: evil-ovn",
    "x-ovn-network-id: evil-ovn",
    "X-Instance-ID: i-evil",
    "x-instance-id-signature: deadbeef",
    "X-Instance-ID-Signature: deadbeef",
    "X-Tenant-ID: evil-tenant",
    "x-TENANT-id: evil-tenant",
    "X-Forwarded-For: 10.0.0.99",
    "x-forwarded-for: 10.0.0.99, 10.0.0.98",
    "Forwarded: for=10.0.0.99",
    "FORWARDED: for=10.0.0.99;proto=http",
    "X-Real-IP: 10.0.0.99",
    "x-real-ip: 10.0.0.99",
    # WSGI maps '_' onto '-': every name with '_' is dropped.
    "X_Neutron_Router_ID: evil-router",
    "X_NEUTRON_NETWORK_ID: evil-net",
    "X_Forwarded_For: 10.0.0.99",
    "X-Custom_Thing: dropped",
    "_: dropped",
]


@pytest.mark.parametrize("spoof", SPOOFED)
def test_each_spoofed_header_is_removed(proxy, upstream, feed, spoof):
    raw = f"GET /openstack HTTP/1.1\r\nHost: 169.254.169.254\r\n{spoof}\r\nAccept: */*\r\n\r\n".encode()
    resp = proxy.request(raw, feed)
    assert resp.status == 200
    assert upstream.received == [
        forwarded("GET /openstack HTTP/1.1", ["Host: 169.254.169.254", "Accept: */*"])
    ]


def test_all_spoofed_headers_at_once_leave_exactly_one_of_each(proxy, upstream, feed):
    raw = ("GET /openstack HTTP/1.1\r\nHost: 169.254.169.254\r\n"
           + "".join(s + "\r\n" for s in SPOOFED) + "X-Keep: yes\r\n\r\n").encode()
    resp = proxy.request(raw, feed)
    assert resp.status == 200
    assert upstream.received == [
        forwarded("GET /openstack HTTP/1.1", ["Host: 169.254.169.254", "X-Keep: yes"])
    ]


def test_router_id_sends_router_header(make_proxy, upstream, feed):
    proxy = make_proxy(identity=("--router_id", ROUTER_ID))
    resp = proxy.request(b"GET / HTTP/1.1\r\nHost: h\r\nX-Neutron-Network-ID: evil\r\n\r\n", feed)
    assert resp.status == 200
    assert upstream.received == [
        forwarded("GET / HTTP/1.1", ["Host: h"], identity=f"X-Neutron-Router-ID: {ROUTER_ID}")
    ]


def test_network_and_router_given_sends_network_only_and_warns(make_proxy, upstream):
    proxy = make_proxy(identity=("--network_id", NETWORK_ID, "--router_id", ROUTER_ID))
    resp = proxy.request(b"GET / HTTP/1.1\r\nHost: h\r\nX-Neutron-Router-ID: evil\r\n\r\n")
    assert resp.status == 200
    assert upstream.received == [forwarded("GET / HTTP/1.1", ["Host: h"])]
    assert any("WARN" in line.upper() for line in proxy.log().splitlines())


def test_http10_request_keeps_its_version(proxy, upstream, feed):
    resp = proxy.request(b"GET /latest HTTP/1.0\r\nX-Real-IP: 1.2.3.4\r\n\r\n", feed)
    assert resp.status == 200
    assert upstream.received == [forwarded("GET /latest HTTP/1.0", [])]


def test_absolute_form_for_own_host_becomes_origin_form(proxy, upstream, feed):
    raw = b"GET http://169.254.169.254/latest/meta-data?x=1 HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n"
    resp = proxy.request(raw, feed)
    assert resp.status == 200
    assert upstream.received == [
        forwarded("GET /latest/meta-data?x=1 HTTP/1.1", ["Host: 169.254.169.254"])
    ]


def test_header_values_and_order_pass_unchanged(proxy, upstream, feed):
    headers = ["Host: 169.254.169.254", "X-aws-ec2-metadata-token: AQAEAFk=", "Accept: */*",
               "X-Empty:", "Cookie: a=b; c=d", "X-Dup: 1", "X-Dup: 2"]
    raw = ("GET /latest/api/token HTTP/1.1\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n").encode()
    proxy.request(raw, feed)
    got_head = up.split_request(upstream.received[0])[0].decode()
    # Values may be re-serialised with one space after the colon; order and content stay.
    got = got_head.split("\r\n")[1:len(headers) + 1]
    assert [h.replace(": ", ":").rstrip() for h in got] == [h.replace(": ", ":") for h in headers]
    assert got_head.count("X-Forwarded-For") == 1
