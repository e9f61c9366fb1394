"""`metadata-server --nova-listen`: the built-in server playing Nova's metadata API behind
Neutron's metadata agent, driven over TCP on 127.0.0.1 the way the agent drives Nova
(neutron/agent/metadata/proxy_base.py _proxy_request(): X-Forwarded-For, X-Instance-ID,
X-Tenant-ID and X-Instance-ID-Signature = hex HMAC-SHA256 of the id, from Python's hmac here).
Each status Nova answers (nova/api/metadata/handler.py) is asserted on the wire.
"""
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess

import pytest

from harness import proxy as proxy_mod
from harness import wire

SECRET = "lab-shared-secret"
VM_A = "0a0a0a0a-1111-4111-8111-00000000000a"
VM_B = "0b0b0b0b-2222-4222-8222-00000000000b"
NET_A = "9a9a9a9a-0000-4000-8000-0000000000a1"
NET_B = "9b9b9b9b-0000-4000-8000-0000000000b1"
# Nova's EC2 versions, then "latest": what "/" answers.
EC2_VERSIONS = ("1.0\n2007-01-19\n2007-03-01\n2007-08-29\n2007-10-10\n2007-12-15\n"
                "2008-02-01\n2008-09-01\n2009-04-04\nlatest")
NOVA_LISTENING = r"metadata server listening on (\S+) as Nova's metadata API"


def sign(instance_id, secret=SECRET):
    """neutron.common.utils.sign_instance_id()"""
    return hmac.new(secret.encode(), instance_id.encode(), hashlib.sha256).hexdigest()


def agent_headers(instance_id, tenant, signature=None):
    return [("X-Forwarded-For", "192.0.2.10"), ("X-Instance-ID", instance_id),
            ("X-Tenant-ID", tenant),
            ("X-Instance-ID-Signature", sign(instance_id) if signature is None else signature)]


def raw_request(headers, method="GET", target="/openstack/latest/meta_data.json", body=b""):
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:8775\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers)
    if body or method == "POST":
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


@pytest.fixture
def data_file(workdir):
    path = os.path.join(workdir, "metadata.json")
    with open(path, "w") as f:
        json.dump({"instances": [
            {"uuid": VM_A, "name": "vm-a", "project_id": "project-a",
             "ports": [{"network_id": NET_A, "ip_addresses": ["192.0.2.10"]}],
             "user_data": "#cloud-config\nhostname: vm-a\n"},
            {"uuid": VM_B, "name": "vm-b", "project_id": "project-b",
             "ports": [{"network_id": NET_B, "ip_addresses": ["192.0.2.10"]}],
             "user_data": "#cloud-config\nhostname: vm-b\n"},
        ]}, f)
    return path


@pytest.fixture
def secret_file(workdir):
    path = os.path.join(workdir, "secret")
    with open(path, "w") as f:
        f.write(SECRET + "\n")
    os.chmod(path, 0o600)
    return path


def start_nova(binary, workdir, data_file, *args, listen="127.0.0.1:0", name="nova"):
    server = proxy_mod.Proxy(binary, workdir, ["metadata-server", "--data", data_file,
                                               "--nova-listen", listen, *args], name=name)
    server.start()
    return server


@pytest.fixture
def nova(binary, workdir, data_file, secret_file):
    server = start_nova(binary, workdir, data_file, "--shared-secret-file", secret_file)
    yield server
    assert server.stop() == 0, server.log()
    for marker in proxy_mod.SANITIZER_MARKERS:
        assert marker not in server.log()


def test_logs_the_real_port(nova):
    m = nova.wait_log(NOVA_LISTENING)
    assert m.group(1) == f"127.0.0.1:{nova.port}" and nova.port != 0


@pytest.mark.parametrize("vm,tenant,hostname", [(VM_A, "project-a", "vm-a"),
                                                (VM_B, "project-b", "vm-b")])
def test_each_instance_gets_its_own_metadata(nova, vm, tenant, hostname):
    r = nova.request(raw_request(agent_headers(vm, tenant)))
    assert r.status == 200, r.raw
    md = json.loads(r.body)
    assert (md["uuid"], md["project_id"], md["name"]) == (vm, tenant, hostname)
    assert r.header("Content-Type") == "application/json"
    r = nova.request(raw_request(agent_headers(vm, tenant), target="/openstack/latest/user_data"))
    assert (r.status, r.body) == (200, f"#cloud-config\nhostname: {hostname}\n".encode())
    r = nova.request(raw_request(agent_headers(vm, tenant), target="/latest/meta-data/hostname"))
    assert (r.status, r.body) == (200, hostname.encode())
    nova.wait_log(rf'access client=192\.0\.2\.10 nova instance-id={vm} tenant={tenant} '
                  rf'"GET /latest/meta-data/hostname" 200 .* ok instance={vm}')


def without(headers, name):
    return [(k, v) for k, v in headers if k != name]


A = agent_headers(VM_A, "project-a")
# (name, headers, status, Nova's explanation or None, access-log reason)
CASES = [
    ("no X-Instance-ID", without(A, "X-Instance-ID"), 400,
     "X-Instance-ID header is missing from request.", "missing_instance_id"),
    ("no signature", without(A, "X-Instance-ID-Signature"), 400,
     "X-Instance-ID-Signature header is missing from request.", "missing_signature"),
    ("no X-Tenant-ID", without(A, "X-Tenant-ID"), 400,
     "X-Tenant-ID header is missing from request.", "missing_tenant_id"),
    ("X-Instance-ID twice", A + [("X-Instance-ID", VM_A)], 400,
     "Multiple X-Instance-ID headers found within request.", "repeated_instance_id"),
    ("X-Instance-ID twice, in other case", A + [("x-instance-id", VM_B)], 400,
     "Multiple X-Instance-ID headers found within request.", "repeated_instance_id"),
    ("X-Tenant-ID twice", A + [("X-Tenant-ID", "project-a")], 400,
     "Multiple X-Tenant-ID headers found within request.", "repeated_tenant_id"),
    ("wrong secret", agent_headers(VM_A, "project-a", sign(VM_A, "other-secret")), 403,
     "Invalid proxy request signature.", "bad_signature"),
    ("A's signature with B's id", agent_headers(VM_B, "project-b", sign(VM_A)), 403,
     "Invalid proxy request signature.", "bad_signature"),
    ("upper-case hex", agent_headers(VM_A, "project-a", sign(VM_A).upper()), 403,
     "Invalid proxy request signature.", "bad_signature"),
    ("unknown instance", agent_headers("0c0c0c0c-3333-4333-8333-00000000000c", "project-a"), 404,
     None, "no_instance"),
    ("tenant that does not own it", agent_headers(VM_A, "project-b"), 404, None, "wrong_tenant"),
]


@pytest.mark.parametrize("name,headers,status,explanation,reason", CASES,
                         ids=[c[0] for c in CASES])
def test_refusals_as_nova_answers(nova, name, headers, status, explanation, reason):
    r = nova.request(raw_request(headers))
    assert r.status == status, r.raw
    if explanation:
        assert explanation.encode() in r.body, r.raw
    assert VM_A.encode() not in r.body and b"vm-a" not in r.body
    nova.wait_log(rf'(?m)"GET /openstack/latest/meta_data.json" {status} \d+ \S+ms {reason}$')


def test_root_lists_versions_without_headers(nova):
    r = nova.request(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert (r.status, r.body.decode()) == (200, EC2_VERSIONS)
    r = nova.request(b"GET /latest HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert r.status == 400


def test_password_post_body_arrives_and_is_served_back(nova):
    target = "/openstack/latest/password"
    body = b"base64-of-the-encrypted-password=="
    r = nova.request(raw_request(agent_headers(VM_A, "project-a"), "POST", target, body))
    assert r.status == 200, r.raw
    nova.wait_log(rf'"POST {target}" 200 0 \S+ms ok instance={VM_A} body={len(body)}')
    r = nova.request(raw_request(agent_headers(VM_A, "project-a"), target=target))
    assert (r.status, r.body) == (200, body)
    # B's is its own; A's cannot be set twice (Nova: 409).
    r = nova.request(raw_request(agent_headers(VM_B, "project-b"), target=target))
    assert (r.status, r.body) == (200, b"")
    r = nova.request(raw_request(agent_headers(VM_A, "project-a"), "POST", target, b"again"))
    assert r.status == 409


def test_forged_post_stores_nothing(nova):
    target = "/openstack/latest/password"
    forged = agent_headers(VM_B, "project-b", sign(VM_A))
    assert nova.request(raw_request(forged, "POST", target, b"forged")).status == 403
    r = nova.request(raw_request(agent_headers(VM_B, "project-b"), target=target))
    assert (r.status, r.body) == (200, b"")


def test_as_the_agent_calls_it_with_requests(nova):
    """The agent's own call: requests.request(method, url, headers, data, timeout=60)."""
    requests = pytest.importorskip("requests")
    url = f"http://127.0.0.1:{nova.port}"
    r = requests.request(method="GET", url=url + "/openstack/latest/meta_data.json",
                         headers=dict(agent_headers(VM_B, "project-b")), data=b"", timeout=10)
    assert r.status_code == 200 and r.json()["uuid"] == VM_B
    r = requests.request(method="POST", url=url + "/openstack/latest/password",
                         headers=dict(agent_headers(VM_B, "project-b")), data=b"x" * 300,
                         timeout=10)
    assert r.status_code == 200
    r = requests.request(method="GET", url=url + "/openstack/latest/password",
                         headers=dict(agent_headers(VM_B, "project-b")), data=b"", timeout=10)
    assert r.content == b"x" * 300
    r = requests.request(method="GET", url=url + "/openstack/latest/meta_data.json",
                         headers=dict(agent_headers(VM_B, "project-b", sign(VM_A))), timeout=10)
    assert r.status_code == 403


def test_keep_alive_serves_both_instances_on_one_connection(nova):
    with nova.connect() as c:
        for vm, tenant in ((VM_A, "project-a"), (VM_B, "project-b"), (VM_A, "project-a")):
            head = "GET /openstack/latest/meta_data.json HTTP/1.1\r\nHost: x\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in agent_headers(vm, tenant))
            r = c.request((head + "\r\n").encode())
            assert r.status == 200 and json.loads(r.body)["uuid"] == vm


def test_ipv6_loopback(binary, workdir, data_file):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    server = start_nova(binary, workdir, data_file, "--shared-secret", SECRET,
                        listen="[::1]:0", name="nova6")
    try:
        assert server.wait_log(NOVA_LISTENING).group(1) == f"[::1]:{server.port}"
        r = server.request(raw_request(agent_headers(VM_A, "project-a")))
        assert r.status == 200 and json.loads(r.body)["uuid"] == VM_A
    finally:
        assert server.stop() == 0, server.log()


def test_both_fronts_in_one_process_share_the_data(binary, workdir, data_file, secret_file):
    """--socket (the proxy's side) and --nova-listen together: one service, one password store."""
    sock = os.path.join(workdir, "agent.sock")
    server = start_nova(binary, workdir, data_file, "--shared-secret-file", secret_file,
                        "--socket", sock, name="both")
    try:
        server.wait_log(rf"metadata server listening on {sock} with 2 instances")
        target = "/openstack/latest/password"
        r = server.request(raw_request(agent_headers(VM_A, "project-a"), "POST", target, b"pw"))
        assert r.status == 200, r.raw
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(sock)
            s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nX-Neutron-Network-ID: {NET_A}\r\n"
                      "X-Forwarded-For: 192.0.2.10\r\nConnection: close\r\n\r\n".encode())
            reply = b""
            while chunk := s.recv(4096):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200 ") and reply.endswith(b"\r\n\r\npw"), reply
        # The UNIX front does not take Nova's headers as identity.
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(sock)
            head = "GET /openstack/latest/meta_data.json HTTP/1.1\r\nHost: x\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in agent_headers(VM_A, "project-a"))
            s.sendall((head + "Connection: close\r\n\r\n").encode())
            reply = s.recv(4096)
        assert reply.startswith(b"HTTP/1.1 404 "), reply
    finally:
        assert server.stop() == 0, server.log()
    assert not os.path.exists(sock)


def test_sigterm_finishes_a_request_in_flight(nova):
    head = "GET /openstack/latest/meta_data.json HTTP/1.1\r\nHost: x\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in agent_headers(VM_A, "project-a"))
    req = (head + "\r\n").encode()
    with nova.connect() as c:
        # A first answer shows the connection is accepted (not still in the backlog,
        # which closing the listener would reset).
        assert c.request(req).status == 200
        c.sock.sendall(req[:20])
        nova.signal(signal.SIGTERM)
        nova.wait_log(r"finishing requests in flight")
        c.sock.sendall(req[20:])
        r = wire.read_response(c.reader)
        assert r.status == 200 and r.header("Connection") == "close"
    assert nova.wait_exit(10) == 0


@pytest.mark.parametrize("args,message", [
    (["--nova-listen", "127.0.0.1:0"], "--nova-listen needs the agent's metadata_proxy_shared_secret"),
    (["--nova-listen", "localhost:8775", "--shared-secret", "x"], "no names"),
    (["--nova-listen", "::1:8775", "--shared-secret", "x"], "in brackets"),
    (["--socket", "/tmp/x.sock", "--shared-secret", "x"], "need --nova-listen"),
    (["--nova-listen", "127.0.0.1:0", "--shared-secret", "x", "--shared-secret-file", "/f"],
     "not both"),
])
def test_usage_errors_say_what_to_fix(binary, data_file, args, message):
    p = subprocess.run([binary, "metadata-server", "--data", data_file, *args],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and message in p.stderr, p.stderr


def test_port_in_use_is_reported(binary, workdir, data_file, nova):
    p = subprocess.run([binary, "metadata-server", "--data", data_file, "--nova-listen",
                        f"127.0.0.1:{nova.port}", "--shared-secret", "x"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 1
    assert f"cannot listen on 127.0.0.1:{nova.port}" in p.stderr + p.stdout, p.stderr
