"""`ns-metadata-proxy node` and `ctl` (docs/node.md), in the current network namespace.

One node process serves several loopback listeners, added and removed over its
JSON-lines control socket; the scripted agents record the exact bytes each listener
forwards. The namespace behaviour (`--netns`) is tested under tests/e2e.
"""
import contextlib
import grp
import json
import os
import pwd
import re
import signal
import socket
import stat
import subprocess
import threading

import pytest

import haproxy_diff_helpers as h
from harness import upstream as up
from harness import wire
from harness.wire import connect_refused, wait_for
from harness.node import ctl, listener_args, port_of
from harness.proxy import NETWORK_ID as NET, ROUTER_ID as RTR

OTHER_ID = "0d4e6f1a-2b3c-4d5e-8f90-a1b2c3d4e5f6"  # never served by any test
CONFIGS_DIR = os.path.join(os.path.dirname(__file__), "..", "unit", "haproxy", "configs")
GET = b"GET /latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n"
# Identity and forwarding headers a client may try to set: none reaches the agent.
SPOOFED = (b"X-Neutron-Network-ID: evil-net\r\nX-Neutron-Router-ID: evil-router\r\n"
           b"X-OVN-Network-ID: evil-ovn\r\nX-Forwarded-For: 10.9.9.9\r\n")


@pytest.fixture
def node(make_node):
    return make_node()


@pytest.fixture
def agent2(workdir):
    """A second scripted agent, on its own socket."""
    a = up.Upstream(os.path.join(workdir, "agent2.sock")).start()
    yield a
    a.stop()


def get(port, path="/latest/meta-data/", extra=b""):
    """One GET on a new connection: (response, client port)."""
    with wire.Client(port) as c:
        resp = c.request(f"GET {path} HTTP/1.1\r\nHost: 169.254.169.254\r\n".encode() + extra + b"\r\n")
        return resp, c.local_port


def forwarded(path, header, uuid):
    """The exact head the agent gets for get(path): client headers, identity, XFF, close."""
    return (f"GET {path} HTTP/1.1\r\nHost: 169.254.169.254\r\n{header}: {uuid}\r\n"
            "X-Forwarded-For: 127.0.0.1\r\nConnection: close\r\n\r\n").encode()


def two_listeners(node, agent_net, agent_rtr):
    """A --network_id and a --router_id listener: (network port, router port)."""
    _, net_port = node.add_ok(listener_args("--network_id", NET, agent_net.path))
    _, rtr_port = node.add_ok(listener_args("--router_id", RTR, agent_rtr.path))
    assert net_port != rtr_port
    return net_port, rtr_port


def idle(entry):
    return entry is not None and entry["active"] == 0


# -- several listeners in one process -------------------------------------------

EXPECTED_KEYS = {"uuid", "netns", "identity", "listening", "upstream", "draining", "active",
                 "accepted", "requests", "responses", "local_replies", "upstream_opened",
                 "upstream_reused"}



@pytest.mark.parametrize("shared_agent", [False, True], ids=["own-agents", "shared-agent"])
def test_each_listener_sends_its_own_identity_and_counts_its_own_requests(
        node, upstream, agent2, shared_agent):
    rtr_agent = upstream if shared_agent else agent2
    add_net = node.add(listener_args("--network_id", NET, upstream.path))
    add_rtr = node.add(listener_args("--router_id", RTR, rtr_agent.path))
    for reply, uuid in ((add_net, NET), (add_rtr, RTR)):
        assert reply["ok"] is True and reply["uuid"] == uuid and reply["warnings"] == [], reply
        assert "netns" in reply and re.fullmatch(r"127\.0\.0\.1:\d+", reply["listening"]), reply
    net_port, rtr_port = port_of(add_net["listening"]), port_of(add_rtr["listening"])

    assert get(net_port, "/n1", SPOOFED)[0].status == 200
    assert get(rtr_port, "/r1", SPOOFED)[0].status == 200
    assert get(net_port, "/n2")[0].status == 200

    net_heads = [forwarded("/n1", "X-Neutron-Network-ID", NET),
                 forwarded("/n2", "X-Neutron-Network-ID", NET)]
    rtr_head = forwarded("/r1", "X-Neutron-Router-ID", RTR)
    if shared_agent:
        assert upstream.received == [net_heads[0], rtr_head, net_heads[1]]
    else:
        assert upstream.received == net_heads
        assert agent2.received == [rtr_head]

    for uuid, header, reply, agent, n in (
            (NET, "X-Neutron-Network-ID", add_net, upstream, 2),
            (RTR, "X-Neutron-Router-ID", add_rtr, rtr_agent, 1)):
        entry = node.wait_listener(uuid, idle, what=f"{uuid} idle")
        assert {k: v for k, v in entry.items() if k in EXPECTED_KEYS} == {
            "uuid": uuid, "netns": reply["netns"],
            "identity": {"header": header, "value": uuid},
            "listening": reply["listening"], "upstream": agent.path,
            "draining": False, "active": 0, "accepted": n, "requests": n,
            "responses": {"2xx": n, "3xx": 0, "4xx": 0, "5xx": 0}, "local_replies": {},
            "upstream_opened": n, "upstream_reused": 0,
        }, entry
    assert [e["uuid"] for e in node.listeners()] in ([NET, RTR], [RTR, NET])


def test_access_lines_name_the_listener(node, upstream, agent2):
    net_port, rtr_port = two_listeners(node, upstream, agent2)
    _, net_client = get(net_port, "/net-path")
    _, rtr_client = get(rtr_port, "/rtr-path")
    node.wait_log(rf'network {NET}: access 127\.0\.0\.1:{net_client} "GET /net-path HTTP/1\.1" 200 ')
    node.wait_log(rf'router {RTR}: access 127\.0\.0\.1:{rtr_client} "GET /rtr-path HTTP/1\.1" 200 ')
    assert not re.search(rf"router {RTR}: access .*/net-path|network {NET}: access .*/rtr-path",
                         node.log())


def counters_of(node, uuid):
    """key=value pairs of the counters line SIGUSR1 logs for uuid."""
    line = node.wait_log(rf"(?m)^.*counters.*{re.escape(uuid)}.*$").group(0)
    return dict(re.findall(r"(\S+)=(\d+)", line))


def test_sigusr1_logs_each_listeners_counters(node, upstream, agent2):
    net_port, rtr_port = two_listeners(node, upstream, agent2)
    for port in (net_port, net_port, rtr_port):
        assert get(port)[0].status == 200
    for uuid in (NET, RTR):
        node.wait_listener(uuid, idle, what=f"{uuid} idle")
    node.signal(signal.SIGUSR1)
    for uuid, n in ((NET, "2"), (RTR, "1")):
        got = counters_of(node, uuid)
        assert {k: got.get(k) for k in ("accepted", "requests", "2xx", "4xx", "5xx")} == {
            "accepted": n, "requests": n, "2xx": n, "4xx": "0", "5xx": "0"}, got
    assert node.alive()


# -- add from a haproxy configuration -------------------------------------------------

# The configs Neutron and OVN write (tests/unit/haproxy/configs): file, header, uuid.
CONFIGS = {
    "neutron-network": ("2026-current-ipv6-brackets.cfg", "X-Neutron-Network-ID",
                        "9f2c1f39-6d7e-4ac1-8c4f-1b4c62f2a0d1"),
    "neutron-router": ("2020-del-set-router.cfg", "X-Neutron-Router-ID",
                       "5b6c2a4e-0f1d-4d8e-9a37-2c1e7f3b9d40"),
    "ovn": ("ovn-add-header.cfg", "X-OVN-Network-ID", "3c0e8a8b-27d4-4f4e-b1d5-1e5d0f6a7c22"),
}
PROCESS_SETTINGS = ("daemon", "user", "group", "pidfile", "log")


def loopback_config(name, port, agent, pidfile):
    """The config file verbatim, but one bind on 127.0.0.1:port, the server on our
    agent and the pidfile in the workdir (so that we can see it is not written)."""
    out, bound = [], False
    with open(os.path.join(CONFIGS_DIR, CONFIGS[name][0])) as f:
        for line in f.read().splitlines():
            word = line.split()[0] if line.split() else ""
            if word == "bind":
                if bound:
                    continue
                line, bound = f"    bind 127.0.0.1:{port}", True
            elif word == "server":
                line = f"    server metadata {agent}"
            elif word == "pidfile":
                line = f"    pidfile     {pidfile}"
            out.append(line)
    assert bound
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("name,via", [("neutron-network", "ctl"), ("neutron-network", "socket"),
                                      ("neutron-router", "socket"), ("ovn", "ctl")])
def test_add_from_haproxy_config(node, upstream, binary, workdir, name, via):
    _, header, uuid = CONFIGS[name]
    port, pidfile = h.free_port(), os.path.join(workdir, "listener.pid")
    text = loopback_config(name, port, upstream.path, pidfile)
    if via == "ctl":
        path = os.path.join(workdir, f"{uuid}.conf")
        with open(path, "w") as f:
            f.write(text)
        out = ctl(binary, node.control_path, "add", "-f", path)
        assert (out.returncode, out.stderr) == (0, ""), out
        reply = json.loads(out.stdout)
    else:
        reply = node.add_config(text)
    assert (reply["ok"], reply["uuid"], reply["listening"]) == (True, uuid, f"127.0.0.1:{port}"), reply
    for setting in PROCESS_SETTINGS:
        assert any(re.search(rf"\b{setting}\b", w) for w in reply["warnings"]), (setting, reply)

    resp, client = get(port, "/cfg", SPOOFED)
    assert (resp.status, resp.body) == (200, b"ok")
    assert upstream.received == [forwarded("/cfg", header, uuid)]
    kind = "router" if header == "X-Neutron-Router-ID" else "network"
    node.wait_log(rf'{kind} {uuid}: access 127\.0\.0\.1:{client} "GET /cfg HTTP/1\.1" 200 ')
    entry = node.listener(uuid)
    assert (entry["identity"], entry["upstream"], entry["listening"]) == (
        {"header": header, "value": uuid}, upstream.path, f"127.0.0.1:{port}")
    # The process settings were not applied: still root, no pidfile.
    assert node.status_field("Uid") == ["0"] * 4
    assert not os.path.exists(pidfile)


# -- remove ----------------------------------------------------------------------


def test_remove_closes_the_port_at_once_and_the_other_listener_keeps_serving(
        node, upstream, agent2):
    net_port, rtr_port = two_listeners(node, upstream, agent2)
    assert node.remove(NET) == {"ok": True, "uuid": NET, "draining": 0}
    assert connect_refused(net_port)
    resp, _ = get(rtr_port, "/still")
    assert (resp.status, resp.body) == (200, b"ok")
    assert agent2.received == [forwarded("/still", "X-Neutron-Router-ID", RTR)]
    assert upstream.received == []
    assert [e["uuid"] for e in node.listeners()] == [RTR]


def test_remove_lets_a_request_in_flight_finish(node, upstream):
    release = threading.Event()
    upstream.answer(up.wait_then_reply(release, up.response(200, b"late answer")))
    _, port = node.add_ok(listener_args("--network_id", NET, upstream.path))
    with wire.Client(port) as c:
        c.send(wire.get("/slow"))
        upstream.wait_request(0)
        assert node.remove(NET) == {"ok": True, "uuid": NET, "draining": 1}
        assert connect_refused(port)
        entry = node.listener(NET)
        assert (entry["draining"], entry["active"]) == (True, 1), entry
        release.set()
        resp = c.read_response()
        assert (resp.status, resp.body) == (200, b"late answer")
        assert c.wait_closed(timeout=2)  # idle now: closed, not kept alive
    assert upstream.received == [forwarded("/slow", "X-Neutron-Network-ID", NET)]
    node.wait_listener(NET, lambda e: e is None, what="the drained listener to be freed")
    assert node.listeners() == []


def test_remove_closes_idle_keep_alive_connections(node, upstream):
    _, port = node.add_ok(listener_args("--network_id", NET, upstream.path))
    with wire.Client(port) as c:
        resp = c.request(wire.get("/keep"))
        assert resp.status == 200 and "close" not in resp.connection_tokens()
        assert node.remove(NET) == {"ok": True, "uuid": NET, "draining": 0}
        assert c.wait_closed(timeout=2)
    node.wait_listener(NET, lambda e: e is None, what="the listener to be freed")


@pytest.mark.parametrize("in_flight", [False, True], ids=["idle", "while-draining"])
def test_same_uuid_can_be_added_again_on_the_same_port_right_after_remove(
        node, upstream, in_flight):
    """Reading: once removed, the uuid is no longer "served", even while it drains."""
    release = threading.Event()
    upstream.answer(up.wait_then_reply(release, up.response(200, b"old")))
    _, port = node.add_ok(listener_args("--network_id", NET, upstream.path))
    old = wire.Client(port)
    try:
        if in_flight:
            old.send(wire.get("/old"))
            upstream.wait_request(0)
        else:
            old.close()
            release.set()
            assert get(port, "/old")[0].body == b"old"
            node.wait_listener(NET, idle, what="listener idle")
        assert node.remove(NET) == {"ok": True, "uuid": NET, "draining": int(in_flight)}
        reply, again = node.add_ok(listener_args("--network_id", NET, upstream.path, port=port))
        assert (again, reply["uuid"]) == (port, NET)
        resp, _ = get(port, "/new")
        assert (resp.status, resp.body) == (200, b"ok")
        draining = sorted(e["draining"] for e in node.listeners() if e["uuid"] == NET)
        assert draining == ([False, True] if in_flight else [False])
        if in_flight:
            release.set()
            assert old.read_response().body == b"old"
    finally:
        old.close()
    assert upstream.received == [forwarded("/old", "X-Neutron-Network-ID", NET),
                                 forwarded("/new", "X-Neutron-Network-ID", NET)]
    wait_for(lambda: [e["draining"] for e in node.listeners()] == [False],
             what="only the new listener left")


# -- refused requests change nothing ------------------------------------------------


def add_router(ctx, *extra, netns=None, port=0):
    request = {"op": "add", "args": listener_args("--router_id", RTR, ctx["agent"], *extra, port=port)}
    if netns:
        request["netns"] = netns
    return request


def process_option(option, *value):
    return (lambda ctx: add_router(ctx, option, *value),
            lambda ctx: re.escape(f"{option} is a process option (give it to node)"))


# id: (request from ctx, fullmatch pattern of the error from ctx). ctx: the serving
# network listener's port, its agent, the workdir.
REFUSALS = {
    "duplicate-uuid": (
        lambda ctx: {"op": "add", "args": listener_args("--network_id", NET, ctx["agent"])},
        lambda ctx: re.escape(f"network {NET} is already served (remove it first)")),
    "remove-unknown": (
        lambda ctx: {"op": "remove", "uuid": OTHER_ID},
        lambda ctx: rf"(network |router )?{OTHER_ID} is not served"),
    "pid_file": process_option("--pid_file", "/tmp/nsmp-node-test.pid"),
    "nodaemonize": process_option("--nodaemonize"),
    "debug": process_option("--debug"),
    "metadata_proxy_user": process_option("--metadata_proxy_user", "root"),
    "log-file": process_option("--log-file", "/tmp/nsmp-node-test.log"),
    "bad-port": (
        lambda ctx: add_router(ctx, "--metadata_port", "abc"),
        lambda ctx: r".*--metadata_port: 'abc' is not a port number.*"),
    "no-identity": (
        lambda ctx: {"op": "add", "args": listener_args("--network_id", NET, ctx["agent"])[2:]},
        lambda ctx: r".*--network_id or --router_id is required.*"),
    "port-in-use": (
        lambda ctx: add_router(ctx, port=ctx["port"]),
        lambda ctx: rf"cannot listen on 127\.0\.0\.1:{ctx['port']}.*: Address already in use"),
    "no-such-netns": (
        lambda ctx: add_router(ctx, netns="nsmp-no-such-ns"),
        lambda ctx: r"netns nsmp-no-such-ns.*: No such file or directory"),
    "not-json": (lambda ctx: b"this is not json\n",
                 lambda ctx: r"request is not a JSON object: .+"),
    "json-array": (lambda ctx: b'["op", "list"]\n',
                   lambda ctx: r"request is not a JSON object.*"),
    # Issue #10 item 9: an id is one plain path component, from either producer.
    "id-escapes": (
        lambda ctx: {"op": "add", "args": listener_args("--router_id", "../../x", ctx["agent"])},
        lambda ctx: r"--router_id: '\.\./\.\./x' must be 1-255 printable ASCII .*"),
    "config-id-escapes": (
        lambda ctx: {"op": "add", "haproxy_config": h.neutron_config(0, ctx["agent"]).replace(
            h.NETWORK_ID, "../../x")},
        lambda ctx: r"haproxy config: line \d+: (log-tag|header value) '[^']*\.\./\.\./x' must be .*"),
    # The spec's example reason; a parenthesised hint after it is fine.
    "unknown-op": (lambda ctx: {"op": "x"}, lambda ctx: r"unknown op 'x'( \(.*\))?"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_request_changes_nothing(node, upstream, case):
    _, port = node.add_ok(listener_args("--network_id", NET, upstream.path))
    assert get(port)[0].status == 200
    node.wait_listener(NET, idle, what="listener idle")
    ctx = {"port": port, "agent": upstream.path}
    before = node.listeners()
    make_request, pattern = REFUSALS[case]
    reply = node.call(make_request(ctx))
    assert reply["ok"] is False and set(reply) == {"ok", "error"}, reply
    assert re.fullmatch(pattern(ctx), reply["error"]), reply["error"]
    assert node.listeners() == before
    resp, _ = get(port, "/after")
    assert (resp.status, node.alive()) == (200, True)
    assert upstream.received[-1] == forwarded("/after", "X-Neutron-Network-ID", NET)


def test_line_over_1_mib_is_refused_and_the_connection_closed(node, upstream):
    _, port = node.add_ok(listener_args("--network_id", NET, upstream.path))
    before = node.listeners()
    with node.control() as c:
        try:
            c.send(b'{"op":"list","pad":"' + b"a" * (1 << 20) + b'"}\n')
        except (BrokenPipeError, ConnectionResetError):
            pass  # the node may close before it has read everything
        reply = c.read_reply()
        assert reply["ok"] is False and reply["error"], reply
        assert c.closed()
    assert node.listeners() == before
    assert get(port)[0].status == 200


def test_pipelined_requests_are_answered_in_order(node, upstream):
    requests = [{"op": "list"}, {"op": "remove", "uuid": OTHER_ID},
                {"op": "add", "args": listener_args("--router_id", RTR, upstream.path)},
                {"op": "x"}]
    with node.control() as c:
        c.send(b"".join(json.dumps(r).encode() + b"\n" for r in requests))
        replies = [c.read_reply() for _ in requests]
        assert replies[0] == {"ok": True, "listeners": []}
        assert replies[1]["ok"] is False and replies[1]["error"].endswith(f"{OTHER_ID} is not served")
        assert (replies[2]["ok"], replies[2]["uuid"]) == (True, RTR)
        assert replies[3]["ok"] is False and replies[3]["error"].startswith("unknown op 'x'")
        listed = c.call({"op": "list"})
    assert [e["uuid"] for e in listed["listeners"]] == [RTR]
    assert get(port_of(replies[2]["listening"]))[0].status == 200


# -- ctl ---------------------------------------------------------------------------


def test_ctl_add_list_remove_exit_0_and_print_the_reply(node, upstream, binary):
    def run(*args):
        out = ctl(binary, node.control_path, *args)
        assert (out.returncode, out.stderr) == (0, ""), out
        return json.loads(out.stdout)

    assert run("list") == {"ok": True, "listeners": []}
    added = run("add", *listener_args("--network_id", NET, upstream.path))
    assert (added["ok"], added["uuid"], added["warnings"]) == (True, NET, []), added
    assert [e["uuid"] for e in run("list")["listeners"]] == [NET]
    assert get(port_of(added["listening"]))[0].status == 200
    assert run("remove", NET) == {"ok": True, "uuid": NET, "draining": 0}
    assert run("list") == {"ok": True, "listeners": []}


# args after `ctl --control PATH`, fullmatch pattern of the reason.
CTL_REFUSALS = {
    "remove-unknown": (["remove", OTHER_ID], rf"(network |router )?{OTHER_ID} is not served"),
    "duplicate-uuid": (["add", "--network_id", NET, "--metadata_port", "0", "--bind_host", "127.0.0.1"],
                       re.escape(f"network {NET} is already served (remove it first)")),
    "process-option": (["add", "--router_id", RTR, "--bind_host", "127.0.0.1", "--metadata_port",
                        "0", "--pid_file", "/tmp/nsmp-node-test.pid"],
                       re.escape("--pid_file is a process option (give it to node)")),
    "no-such-netns": (["add", "--netns", "nsmp-no-such-ns", "--router_id", RTR, "--bind_host",
                       "127.0.0.1", "--metadata_port", "0"],
                      r"netns nsmp-no-such-ns.*: No such file or directory"),
}


@pytest.mark.parametrize("case", list(CTL_REFUSALS))
def test_ctl_refused_exits_1_with_the_reason(node, upstream, binary, case):
    node.add_ok(listener_args("--network_id", NET, upstream.path))
    before = node.listeners()
    args, reason = CTL_REFUSALS[case]
    out = ctl(binary, node.control_path, *args)
    assert out.returncode == 1, out
    assert re.fullmatch(r"ns-metadata-proxy ctl: " + reason + r"\n", out.stderr), out.stderr
    assert node.listeners() == before


def test_ctl_without_a_node_exits_1(binary, workdir):
    missing = os.path.join(workdir, "nobody.ctl")
    out = ctl(binary, missing, "list")
    assert (out.returncode, out.stdout) == (1, ""), out
    assert out.stderr.startswith("ns-metadata-proxy ctl: ") and out.stderr.count("\n") == 1, out
    assert missing in out.stderr


@pytest.mark.parametrize("args", [[], ["frobnicate"], ["remove"]], ids=["no-command", "unknown", "remove-no-uuid"])
def test_ctl_usage_error_exits_2(binary, workdir, args):
    # No node behind the path: a ctl that tried to connect would exit 1, not 2.
    out = ctl(binary, os.path.join(workdir, "nobody.ctl"), *args)
    assert (out.returncode, out.stdout) == (2, ""), out
    assert out.stderr.strip(), out


@pytest.mark.parametrize("args, message", [
    (["--control", ""], "--control needs a path"),
    (["--control="], "--control needs a path"),
    (["--control"], "--control needs a path"),
    (["--bogus", "list"], "unknown option '--bogus'"),
], ids=["empty", "empty-eq", "missing", "unknown"])
def test_ctl_option_errors_name_the_option(binary, args, message):
    out = subprocess.run([binary, "ctl", *args], capture_output=True, text=True, timeout=10)
    assert (out.returncode, out.stdout) == (2, ""), out
    assert out.stderr == f"ns-metadata-proxy ctl: {message} (see --help)\n"


@pytest.mark.parametrize("args, message", [
    (["--control", ""], "--control needs a value"),
    (["--control"], "--control needs a value"),
    (["--control="], "--control needs a value"),
    (["--metrics-listen", "localhost"],
     "--metrics-listen localhost: want ADDR:PORT, e.g. 127.0.0.1:9101 or [::1]:9101"),
    (["--metrics-listen=localhost"],
     "--metrics-listen localhost: want ADDR:PORT, e.g. 127.0.0.1:9101 or [::1]:9101"),
    (["--bogus=1"], "unknown option '--bogus'"),
    (["--debug=1"], "--debug takes no value"),
], ids=["empty", "missing", "empty-eq", "bad-value", "bad-value-eq", "unknown-eq", "no-value"])
def test_node_option_errors_name_the_option(binary, args, message):
    out = subprocess.run([binary, "node", "--nodaemonize", *args], capture_output=True,
                         text=True, timeout=10)
    assert (out.returncode, out.stdout) == (2, ""), out
    assert out.stderr == f"ns-metadata-proxy node: {message} (see --help)\n"


# -- the node process --------------------------------------------------------------


def test_control_socket_is_mode_0600(node):
    st = os.stat(node.control_path)
    assert stat.S_ISSOCK(st.st_mode)
    assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o600, os.getuid())


def test_second_node_on_the_same_control_path_exits_1(node, make_node, upstream):
    _, port = node.add_ok(listener_args("--network_id", NET, upstream.path))
    second = make_node(name="second", control=node.control_path, start=False)
    assert second.wait_exit(10) == 1
    assert node.control_path in second.log() and "another" in second.log().lower(), second.log()
    assert [e["uuid"] for e in node.listeners()] == [NET]  # the first keeps its socket
    assert get(port)[0].status == 200


def test_stale_control_socket_is_replaced(make_node, workdir, upstream):
    path = os.path.join(workdir, "stale.ctl")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(path)  # the file stays; nobody listens on it
    n = make_node(control=path)
    assert n.listeners() == []
    _, port = n.add_ok(listener_args("--network_id", NET, upstream.path))
    assert get(port)[0].status == 200


def test_sigterm_lets_a_request_in_flight_finish_and_exits_0(node, upstream):
    release = threading.Event()
    upstream.answer(up.wait_then_reply(release, up.response(200, b"finished")))
    _, port = node.add_ok(listener_args("--network_id", NET, upstream.path))
    with wire.Client(port) as c:
        c.send(wire.get("/inflight"))
        upstream.wait_request(0)
        node.signal(signal.SIGTERM)
        wait_for(lambda: connect_refused(port), what="the listener to close")
        assert node.alive()
        release.set()
        resp = c.read_response()
        assert (resp.status, resp.body) == (200, b"finished")
    assert node.wait_exit(10) == 0


def test_sighup_reopens_the_log_file(make_node, workdir, upstream):
    log = os.path.join(workdir, "node.log")
    n = make_node(log_file=log)
    _, port = n.add_ok(listener_args("--network_id", NET, upstream.path))
    os.rename(log, log + ".1")
    n.signal(signal.SIGHUP)
    wait_for(lambda: os.path.exists(log), what="the log file to be reopened")
    _, client = get(port, "/after-hup")
    wait_for(lambda: re.search(rf'network {NET}: access 127\.0\.0\.1:{client} "GET /after-hup ',
                               open(log).read()), what="the access line in the new log")
    assert "/after-hup" not in open(log + ".1").read()


# -- privilege separation (--user/--group) ---------------------------------------------


def ids_of(pid):
    """(uid, gid) of a process, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return int(fields["Uid"].split()[0]), int(fields["Gid"].split()[0])


def children_of(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(c) for c in f.read().split()]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch users")
def test_with_user_the_node_serves_unprivileged_and_a_root_helper_opens_sockets(
        make_node, upstream):
    nobody, nogroup = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    os.chmod(upstream.path, 0o777)  # the agent's socket, reachable by the node's user
    node = make_node(extra=["--user", "nobody", "--group", "nogroup"])
    assert ids_of(node.pid) == (nobody, nogroup)
    [helper] = children_of(node.pid)
    assert ids_of(helper) == (0, 0)

    reply, port = node.add_ok(listener_args("--network_id", NET, upstream.path))
    assert get(port, "/as-nobody")[0].status == 200
    assert upstream.received == [forwarded("/as-nobody", "X-Neutron-Network-ID", NET)]
    # The helper's refusals reach the caller as they are, and change nothing.
    missing = node.add(listener_args("--network_id", "other", upstream.path), netns="nsmp-none")
    assert missing == {"ok": False, "error": "netns nsmp-none: No such file or directory"}
    taken = node.add(listener_args("--network_id", "other", upstream.path, port=port))
    assert taken["error"] == f"cannot listen on 127.0.0.1:{port}: bind: Address already in use"
    # In its own namespace the node binds with its own (no) privileges: the helper
    # binds nothing there, so not a privileged port either.
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
        if int(f.read()) > 1:
            low = node.add(listener_args("--network_id", "other", upstream.path, port=1))
            assert low == {"ok": False,
                           "error": "cannot listen on 127.0.0.1:1: bind: Permission denied"}, low
    assert [e["uuid"] for e in node.listeners()] == [NET]

    assert node.stop() == 0
    wait_for(lambda: not os.path.exists(f"/proc/{helper}"), what="the helper to exit")


@pytest.mark.parametrize("extra", [["--user", "nobody"], ["--group", "nogroup"]])
def test_user_and_group_go_together(binary, workdir, extra):
    out = subprocess.run([binary, "node", "--nodaemonize", "--control",
                          os.path.join(workdir, "c.ctl"), *extra],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 2
    assert "--user and --group go together" in out.stderr


# -- adding never stops serving (issue #10 item 8) ----------------------------------

AS = {"root": [], "as-nobody": ["--user", "nobody", "--group", "nogroup"]}
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces, --user)")


def helper_of(node):
    """The node's root helper: its one child."""
    children = children_of(node.pid)
    assert len(children) == 1, f"the node should have one helper process, has {children}"
    return children[0]


def helper_has_a_request(helper):
    """True once a request waits in the helper's end of its channel (its receive queue)."""
    out = subprocess.run(["ss", "-x", "-a", "-p", "-H"], capture_output=True, text=True,
                         timeout=10).stdout
    return any(line.split()[0] == "u_seq" and int(line.split()[2]) > 0
               for line in out.splitlines() if f"pid={helper}," in line)


def state_of(pid):
    """The one-letter state of a process ("T": stopped, "Z": zombie), None once reaped."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def stopped(pid):
    """The process stopped (SIGSTOP) for the block: it can answer nothing meanwhile, and
    what is sent to it stays in its socket's receive queue."""
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_for(lambda: state_of(pid) == "T", what=f"pid {pid} to stop")
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@pytest.fixture
def other_netns():
    """/proc/<pid>/ns/net of a process alone in a new network namespace (lo up)."""
    holder = subprocess.Popen(["unshare", "--net", "sh", "-c", "ip link set lo up && exec sleep 60"],
                              stdin=subprocess.DEVNULL)
    try:
        def ready():
            with open(f"/proc/{holder.pid}/comm") as f:
                return f.read().strip() == "sleep"
        wait_for(ready, what="the holder to enter its namespace")
        yield f"/proc/{holder.pid}/ns/net"
    finally:
        holder.kill()
        holder.wait(timeout=5)


def send_add(conn, uuid, agent, netns):
    conn.send({"op": "add", "netns": netns, "args": listener_args("--router_id", uuid, agent)})


@needs_root
@pytest.mark.parametrize("who", list(AS))
def test_a_listener_keeps_serving_while_an_add_waits_for_the_helper(make_node, upstream, who):
    os.chmod(upstream.path, 0o777)  # reachable by nobody too
    node = make_node(extra=AS[who])
    _, port = node.add_ok(listener_args("--network_id", NET, upstream.path))
    helper = helper_of(node)
    missing = f"nsmp-node-it-{os.getpid()}-none"
    with node.control() as adding:
        with stopped(helper):
            send_add(adding, RTR, upstream.path, missing)
            wait_for(lambda: helper_has_a_request(helper), what="the add to reach the helper")
            # The helper cannot answer now; the node still serves and still answers.
            resp, _ = get(port, "/while-adding")
            assert (resp.status, resp.body) == (200, b"ok")
            assert [e["uuid"] for e in node.listeners()] == [NET]
            assert adding.pending_bytes() == b"", "the add was answered without the helper"
        assert adding.read_reply() == {
            "ok": False, "error": f"netns {missing}: No such file or directory"}
    assert upstream.received == [forwarded("/while-adding", "X-Neutron-Network-ID", NET)]


@needs_root
def test_a_fifo_named_as_netns_is_refused_and_never_stops_serving(node, upstream):
    """The old node opened the FIFO itself and stopped until a writer came."""
    _, port = node.add_ok(listener_args("--network_id", NET, upstream.path))
    os.makedirs("/run/netns", mode=0o755, exist_ok=True)
    name = f"nsmp-node-it-{os.getpid()}-fifo"
    fifo = f"/run/netns/{name}"
    os.mkfifo(fifo, 0o600)
    try:
        with node.control() as adding:
            send_add(adding, RTR, upstream.path, name)
            resp, _ = get(port, "/next-to-a-fifo")
            assert (resp.status, resp.body) == (200, b"ok")
            assert adding.read_reply() == {
                "ok": False, "error": f"netns {name}: not a network namespace (a FIFO)"}
    finally:
        # Let a node stuck opening it go, then remove it.
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        os.unlink(fifo)
    assert [e["uuid"] for e in node.listeners()] == [NET]


@needs_root
def test_remove_of_a_uuid_being_added_cancels_the_add(node, upstream, other_netns):
    helper = helper_of(node)
    with node.control() as adding:
        with stopped(helper):
            send_add(adding, RTR, upstream.path, other_netns)
            wait_for(lambda: helper_has_a_request(helper), what="the add to reach the helper")
            again = node.add(listener_args("--router_id", RTR, upstream.path), netns=other_netns)
            assert again == {"ok": False, "error":
                             f"router {RTR} is being added already (wait for that add's answer)"}
            assert node.remove(RTR) == {"ok": True, "uuid": RTR, "draining": 0}
            # Answered at once, while the helper still cannot answer.
            assert adding.read_reply() == {
                "ok": False, "error": f"router {RTR} was removed while it was being added"}
        assert node.listeners() == []
        # The helper's late sockets are closed unused; the uuid is free again.
        reply = node.add(listener_args("--router_id", RTR, upstream.path), netns=other_netns)
        assert (reply["ok"], reply["uuid"], reply["netns"]) == (True, RTR, other_netns), reply
    assert [e["uuid"] for e in node.listeners()] == [RTR]


@needs_root
def test_shutdown_answers_an_add_still_waiting_and_exits(node, upstream, other_netns):
    helper = helper_of(node)
    with node.control() as adding:
        with stopped(helper):
            send_add(adding, RTR, upstream.path, other_netns)
            wait_for(lambda: helper_has_a_request(helper), what="the add to reach the helper")
            node.signal(signal.SIGTERM)
            # Answered while the helper still cannot answer.
            assert adding.read_reply() == {"ok": False, "error": "the node is shutting down"}
        assert node.wait_exit(10) == 0

    # Reaped by the node, or (reparented) a zombie at worst.
    wait_for(lambda: state_of(helper) in (None, "Z"), what="the helper to exit")
