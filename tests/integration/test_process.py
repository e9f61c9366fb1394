"""Process behaviour: signals, log reopening, pidfile, daemonize, privileges, CLI."""
import fcntl
import grp
import os
import re
import pwd
import signal
import socket
import subprocess
import threading

import pytest

from harness import proxy as proxy_mod
from harness import upstream as up
from harness import wire
from harness.wire import connect_refused, wait_for


# -- signals -------------------------------------------------------------------


def test_sigterm_lets_in_flight_request_finish_then_exits_0(proxy, upstream):
    release = threading.Event()
    upstream.answer(up.wait_then_reply(release, up.response(200, b"finished")))
    with proxy.connect() as c:
        c.send(wire.get("/inflight"))
        upstream.wait_request(0)
        proxy.signal(signal.SIGTERM)
        wait_for(lambda: connect_refused(proxy.port), what="the listener to close")
        assert proxy.alive()
        release.set()
        resp = c.read_response()
        assert resp.status == 200 and resp.body == b"finished"
    assert proxy.wait_exit(10) == 0


def test_sigint_exits_0(proxy, upstream):
    assert proxy.request(wire.get("/")).status == 200
    proxy.signal(signal.SIGINT)
    assert proxy.wait_exit(10) == 0


def test_sigterm_closes_idle_keep_alive_connections(proxy, upstream):
    with proxy.connect() as c:
        assert c.request(wire.get("/")).status == 200
        proxy.signal(signal.SIGTERM)
        assert c.wait_closed(timeout=10)
    assert proxy.wait_exit(10) == 0


def test_sighup_reopens_log_file(make_proxy, upstream, workdir):
    log = os.path.join(workdir, "proxy.log")
    proxy = make_proxy(log_file=log)
    assert "listening on" in open(log).read()
    os.rename(log, log + ".1")
    proxy.signal(signal.SIGHUP)
    wait_for(lambda: os.path.exists(log), what="the log file to be reopened")
    assert proxy.request(wire.get("/after-hup")).status == 200
    wait_for(lambda: '"GET /after-hup HTTP/1.1" 200' in open(log).read(), what="access line in new log")
    assert "/after-hup" not in open(log + ".1").read()
    assert proxy.alive()


# -- pidfile -------------------------------------------------------------------


def is_locked(path):
    """True if another process holds a flock or POSIX lock on path."""
    with open(path, "r+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        try:
            fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            return True
        fcntl.lockf(f, fcntl.LOCK_UN)
        return False


def test_pidfile_written_locked_exclusive_and_removed(make_proxy, upstream, workdir):
    pidfile = os.path.join(workdir, "proxy.pid")
    first = make_proxy("--pid_file", pidfile)
    assert open(pidfile).read().strip() == str(first.pid)
    assert is_locked(pidfile)

    second = make_proxy("--pid_file", pidfile, start=False, name="second")
    rc = second.wait_exit(10)
    assert rc != 0
    assert "listening on" not in second.log()
    assert second.log().strip(), "the refusal must say why"
    assert "pid" in second.log().lower()
    assert open(pidfile).read().strip() == str(first.pid)
    assert first.request(wire.get("/")).status == 200

    assert first.stop() == 0
    assert not os.path.exists(pidfile)


def test_stale_pidfile_is_taken_over(make_proxy, upstream, workdir):
    pidfile = os.path.join(workdir, "proxy.pid")
    with open(pidfile, "w") as f:
        f.write("999999\n")  # left behind by a crash, nobody holds the lock
    proxy = make_proxy("--pid_file", pidfile)
    assert open(pidfile).read().strip() == str(proxy.pid)


# -- daemonize -----------------------------------------------------------------


def daemon_args(workdir, upstream_path, port=0, flag="--daemonize"):
    """Neutron's arguments for a daemon; flag None relies on the default (daemonize)."""
    args = proxy_mod.neutron_args(workdir, upstream_path, port=port)
    args.remove("--nodaemonize")
    return args + ([flag] if flag else []) + [
        "--pid_file", os.path.join(workdir, "d.pid"), "--log-file", os.path.join(workdir, "d.log")]


def kill_daemon(pidfile):
    try:
        pid = int(open(pidfile).read().strip())
    except (FileNotFoundError, ValueError):
        return
    proxy_mod.terminate_pid(pid)


@pytest.mark.parametrize("flag", ["--daemonize", None], ids=["explicit", "default"])
def test_daemonize_returns_0_once_listening(binary, workdir, upstream, upstream_path, flag):
    pidfile = os.path.join(workdir, "d.pid")
    try:
        run = subprocess.run([binary, *daemon_args(workdir, upstream_path, flag=flag)],
                             capture_output=True, timeout=15)
        assert run.returncode == 0, run.stderr
        # Bound before the launcher returned: the port is known and serving now.
        m = proxy_mod.LISTENING.search(open(os.path.join(workdir, "d.log")).read())
        assert m, "launcher exited before the daemon listened"
        port = int(m.group(2))
        with wire.Client(port) as c:
            assert c.request(wire.get("/")).status == 200
        pid = int(open(pidfile).read().strip())
        assert pid != os.getpid()
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        assert int(fields[3]) != os.getsid(0), "the daemon must be in its own session"
        assert os.readlink(f"/proc/{pid}/cwd") == "/"
        for fd in (0, 1, 2):
            assert os.readlink(f"/proc/{pid}/fd/{fd}") == "/dev/null"
    finally:
        kill_daemon(pidfile)


def test_daemonize_busy_port_fails_with_message(binary, workdir, upstream, upstream_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    pidfile = os.path.join(workdir, "d.pid")
    try:
        run = subprocess.run([binary, *daemon_args(workdir, upstream_path, port=busy.getsockname()[1])],
                             capture_output=True, timeout=15)
        assert run.returncode != 0
        message = (run.stderr + run.stdout).decode()
        assert message.strip(), "the launcher must print why it failed"
    finally:
        kill_daemon(pidfile)
        busy.close()


# -- privileges ------------------------------------------------------------------


def ids(proxy, field):
    return [int(x) for x in proxy.status_field(field)]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_privileges_are_dropped_after_binding(make_proxy, upstream):
    nobody = pwd.getpwnam("nobody").pw_uid
    nogroup = grp.getgrnam("nogroup").gr_gid
    proxy = make_proxy("--metadata_proxy_user", "nobody", "--metadata_proxy_group", "nogroup")
    assert ids(proxy, "Uid") == [nobody] * 4
    assert ids(proxy, "Gid") == [nogroup] * 4
    assert proxy.status_field("Groups") == []
    assert proxy.request(wire.get("/")).status == 200  # still serves (socket bound as root)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_numeric_user_and_group(make_proxy, upstream):
    proxy = make_proxy("--metadata_proxy_user", "65534", "--metadata_proxy_group", "65534")
    assert ids(proxy, "Uid") == [65534] * 4
    assert ids(proxy, "Gid") == [65534] * 4


@pytest.mark.parametrize("opt,value", [
    ("--metadata_proxy_user", "no-such-user-nsmp"),
    ("--metadata_proxy_group", "no-such-group-nsmp"),
])
def test_unknown_user_or_group_refused_before_binding(make_proxy, upstream, opt, value):
    proxy = make_proxy(opt, value, start=False)
    assert proxy.wait_exit(10) != 0
    log = proxy.log()
    assert value in log
    assert "listening on" not in log


# -- command line ------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    [],
    ["--nodaemonize"],
    ["--network_id", "n", "--bogus_option", "1"],
    ["--network_id", "n", "--metadata_port", "abc"],
    ["--network_id", "n", "--metadata_port", "70000"],
    ["--network_id", "n", "--metadata_port", "-1"],
    ["--network_id", "has space"],
    ["--network_id", ""],
    ["--router_id", "x" * 256],
    ["--network_id", "n", "--maxconn", "zero"],
    ["--network_id", "n", "--timeout_server", "soon"],
    ["--network_id", "n", "--bind_host", "not-an-address"],
    ["--network_id"],
    ["--network_id", "a\x01b"],
    ["--network_id", "caf\u00e9"],
    ["--network_id", "a\tb"],
], ids=["no_args", "no_id", "unknown_option", "port_not_number", "port_too_big", "port_negative",
        "id_with_space", "id_empty", "id_too_long", "maxconn_not_number", "timeout_not_number",
        "bad_bind_host", "missing_value", "id_control_char", "id_non_ascii", "id_tab"])
def test_cli_errors_exit_2_with_one_line(binary, workdir, args):
    run = subprocess.run([binary, "--nodaemonize", "--state_path", workdir, *args],
                         capture_output=True, timeout=10)
    assert run.returncode == 2, (args, run.stderr)
    lines = run.stderr.decode().strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert b"listening on" not in run.stderr


def test_help_and_version(binary):
    help_run = subprocess.run([binary, "--help"], capture_output=True, timeout=10)
    assert help_run.returncode == 0
    assert b"--network_id" in help_run.stdout + help_run.stderr
    version = subprocess.run([binary, "--version"], capture_output=True, timeout=10)
    assert version.returncode == 0
    assert (version.stdout + version.stderr).strip()


@pytest.mark.parametrize("spelling", ["equals", "dashed", "dashed_equals"])
def test_option_spellings(make_proxy, upstream, upstream_path, workdir, spelling):
    def opt(name, value):
        if spelling == "equals":
            return [f"--{name}={value}"]
        if spelling == "dashed":
            return [f"--{name.replace('_', '-')}", value]
        return [f"--{name.replace('_', '-')}={value}"]

    args = [*opt("network_id", proxy_mod.NETWORK_ID), "--nodaemonize", *opt("metadata_port", "0"),
            *opt("bind_host", "127.0.0.1"), *opt("metadata_proxy_socket", upstream_path),
            *opt("state_path", workdir)]
    proxy = make_proxy(args=args)
    assert proxy.request(wire.get("/")).status == 200
    assert upstream.received[0].count(f"X-Neutron-Network-ID: {proxy_mod.NETWORK_ID}".encode()) == 1


def test_access_log_line_format(proxy, upstream):
    with proxy.connect() as c:
        resp = c.request(wire.get("/latest/meta-data/instance-id"))
    entry = proxy.wait_access(200)
    assert entry.peer_ip == "127.0.0.1" and entry.peer_port == c.local_port
    assert entry.request_line == "GET /latest/meta-data/instance-id HTTP/1.1"
    assert entry.bytes == len(resp.raw) and entry.reason == "-"
    line = entry.line
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO ", line), line


def test_access_log_cannot_be_forged_by_the_request_line(proxy, upstream):
    """Regression: the raw request line of a rejected request was logged with its
    bare LF, so a VM could write arbitrary lines into the proxy's log."""
    forged = b'2026-11-28T00:00:00.000Z INFO access 203.0.113.9:1 "GET /forged HTTP/1.1" 200 1 1ms -'
    with proxy.connect() as c:
        c.send(b"GET / HTTP/1.1\n" + forged + b"\r\n\r\n")
        assert c.read_response().status == 400
    proxy.wait_access(400, "bare_cr_or_lf")
    for line in proxy.log().splitlines():
        assert not line.startswith("2026-11-28T00:00:00.000Z"), f"forged log line: {line!r}"
    assert [e.peer_ip for e in proxy.access_entries()] == ["127.0.0.1"]


def test_sighup_without_log_file_keeps_serving(proxy, upstream):
    proxy.signal(signal.SIGHUP)
    assert proxy.request(wire.get("/")).status == 200
    assert proxy.alive()


def test_upstream_socket_defaults_to_state_path(make_proxy, workdir):
    agent = up.Upstream(os.path.join(workdir, "metadata_proxy")).start()
    try:
        args = [a for a in proxy_mod.neutron_args(workdir, "unused")]
        i = args.index("--metadata_proxy_socket")
        del args[i:i + 2]
        proxy = make_proxy(args=args)
        assert proxy.request(wire.get("/")).status == 200
        assert len(agent.received) == 1
    finally:
        agent.stop()


def test_id_of_255_characters_is_accepted(make_proxy, upstream):
    long_id = "n" * 255
    proxy = make_proxy(identity=("--network_id", long_id))
    assert proxy.request(wire.get("/")).status == 200
    assert f"\r\nX-Neutron-Network-ID: {long_id}\r\n".encode() in upstream.received[0]
