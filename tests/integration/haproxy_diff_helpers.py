"""Helpers for the differential suite: real haproxy and ns-metadata-proxy run from
the same Neutron-generated haproxy configuration, each in front of its own scripted
agent socket, fed the same bytes.

The configuration text reproduces Neutron's templates (neutron/common/metadata.py,
neutron/agent/metadata/driver.py, neutron/agent/ovn/metadata/driver.py and the 2017
template) with a loopback bind; both processes run in the foreground (-db), so no
pidfile or daemon is involved.
"""
import os
import signal
import socket
import subprocess
import time

from harness import upstream as up
from harness import wire
from harness.proxy import free_port  # noqa: F401 (h.free_port in the tests)

NETWORK_ID = "9f2c1f39-6d7e-4ac1-8c4f-1b4c62f2a0d1"
ROUTER_ID = "5b6c2a4e-0f1d-4d8e-9a37-2c1e7f3b9d40"

GLOBAL = """
global
    log         /dev/log local0 info
    log-tag     haproxy-metadata-proxy-{uuid}
    user        root
    group       root
    maxconn     1024
    nbthread    2
    daemon

defaults
    log global
    mode http
    option httplog
    option dontlognull
    option http-server-close
    option forwardfor
    retries                 3
    timeout http-request    {t}s
    timeout connect         {t}s
    timeout client          {t}s
    timeout server          {t}s
    timeout http-keep-alive {t}s
"""

UNLIMITED = """
listen listener
    bind {bind}
    
    server metadata {socket}
"""

RATE_LIMITED = """
backend base_rate_limiter
    stick-table type ip size 10k expire {expire}s store http_req_rate({base_window}s)

backend burst_rate_limiter
    stick-table type ip size 10k expire {expire}s store http_req_rate({burst_window}s)

listen listener
    bind {bind}
    

    http-request track-sc0 src table base_rate_limiter
    http-request track-sc1 src table burst_rate_limiter
    http-request deny deny_status 429 if {{ src_http_req_rate(base_rate_limiter) gt {base_limit} }}
    http-request deny deny_status 429 if {{ src_http_req_rate(burst_rate_limiter) gt {burst_limit} }}

    server metadata {socket}
"""

# The identity lines of each era, after the listener.
HEADERS = {
    # 2020+ (LP #1865036): delete the other Neutron header, set ours.
    "neutron-network": """
    http-request del-header X-Neutron-Router-ID
    http-request set-header X-Neutron-Network-ID {network}
""",
    "neutron-router": """
    http-request del-header X-Neutron-Network-ID
    http-request set-header X-Neutron-Router-ID {router}
""",
    # OVN metadata agent, still add-header.
    "ovn": """
    http-request add-header X-OVN-Network-ID {network}
""",
    # 2017 template given both ids.
    "2017-both": """
    http-request add-header X-Neutron-Network-ID {network}
    http-request add-header X-Neutron-Router-ID {router}
""",
}


def neutron_config(port, socket_path, identity="neutron-network", rate_limit=None, timeout=5,
                   bind="127.0.0.1:{port}"):
    """The configuration text Neutron would write for this listener. `bind` is the
    bind line's address ("{port}" is replaced), e.g. "[::1]:{port}" or ":::{port}"."""
    bind = bind.format(port=port)
    uuid = ROUTER_ID if identity == "neutron-router" else NETWORK_ID
    text = GLOBAL.format(uuid=uuid, t=timeout)
    if rate_limit:
        rl = dict(rate_limit)
        rl.setdefault("expire", max(rl["base_window"], rl["burst_window"]))
        text += RATE_LIMITED.format(bind=bind, socket=socket_path, **rl)
    else:
        text += UNLIMITED.format(bind=bind, socket=socket_path)
    text += HEADERS[identity].format(network=NETWORK_ID, router=ROUTER_ID)
    return text


class Endpoint:
    """A listening proxy (any engine) and the scripted agent behind it."""

    def __init__(self, port, upstream, name="proxy", host="127.0.0.1"):
        self.port = port
        self.upstream = upstream
        self.name = name
        self.host = host

    def connect(self, timeout=wire.DEFAULT_TIMEOUT):
        return wire.Client(self.port, host=self.host, timeout=timeout)


class Engine(Endpoint):
    """One server (haproxy or ns-metadata-proxy) run from a config file in the foreground."""

    def __init__(self, name, argv0, workdir, identity, rate_limit=None, upstream=True,
                 bind="127.0.0.1:{port}", host="127.0.0.1", timeout=5):
        self.name = name
        self.host = host
        self.argv0 = argv0
        self.workdir = workdir
        self.socket_path = os.path.join(workdir, f"{name}-agent.sock")
        self.port = free_port()
        self.conf = os.path.join(workdir, f"{name}.conf")
        with open(self.conf, "w") as f:
            f.write(neutron_config(self.port, self.socket_path, identity, rate_limit, timeout,
                                   bind=bind))
        self.upstream = up.Upstream(self.socket_path).start() if upstream else None
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        self.proc = None

    def start(self):
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([self.argv0, "-db", "-f", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=self._stderr, stderr=self._stderr)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                # That probe connection is not a request; nothing reached the agent.
                return self
            except OSError:
                time.sleep(0.02)
        raise AssertionError(f"{self.name} did not listen on {self.port}:\n{self.log()}")

    def log(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.proc is not None:
            self._stderr.close()
        if self.upstream:
            self.upstream.stop()

# -- normalising what the agent received -------------------------------------


class Forwarded:
    """A request as the agent received it, in a form both engines can be compared in.

    Header names are compared case-insensitively (haproxy 2.x sends them in lower
    case); the body is compared decoded, with its framing kind kept separately
    (chunk sizes may legitimately differ).
    """

    def __init__(self, raw):
        self.raw = raw
        head, _ = up.split_request(raw)
        lines = head[:-4].decode("latin-1").split("\r\n")
        self.request_line = lines[0]
        self.headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            # Leading whitespace is syntax; trailing whitespace is kept to be compared.
            self.headers.append((name.lower(), value.lstrip(" \t")))
        names = {n for n, _ in self.headers}
        self.trailers = b""
        if "transfer-encoding" in names:
            self.body, self.trailers = up.split_chunked(raw[len(head):])
        else:
            self.body = up.request_body(raw)
        self.framing = ("chunked" if "transfer-encoding" in names
                        else "length" if "content-length" in names else "none")

    def values(self, name):
        return [v for n, v in self.headers if n == name.lower()]

    def client_headers(self):
        """Headers minus the ones each proxy adds or rewrites itself."""
        own = {"x-forwarded-for", "connection", "content-length", "transfer-encoding",
               "x-neutron-network-id", "x-neutron-router-id", "x-ovn-network-id"}
        return [(n, v) for n, v in self.headers if n not in own]

    def __repr__(self):
        return f"Forwarded({self.raw!r})"


def exchange(engine, raw, responses=1, method="GET", feed="whole"):
    """Send raw on one connection; (responses, forwarded requests) for this exchange."""
    before = engine.upstream.connection_count if engine.upstream else 0
    got = []
    with engine.connect() as c:
        c.send(raw, feed)
        for _ in range(responses):
            got.append(c.read_response(method))
    forwarded = []
    if engine.upstream:
        # A response from the agent means its connection was accepted already; a
        # local reply means none should come -- give a late one a moment to show.
        if engine.upstream.connection_count - before < responses:
            time.sleep(0.1)
        for i in range(before, engine.upstream.connection_count):
            forwarded.append(Forwarded(engine.upstream.wait_request(i, timeout=2)))
    return got, forwarded
