"""Start `ns-metadata-proxy node` and drive it over its control socket (docs/node.md).

- `Node(binary, workdir)` runs `node --control <workdir>/<name>.ctl --nodaemonize`;
  `start()` waits until the control socket accepts a connection. Log, signals and
  stop() are those of `harness.proxy.Proxy`.
- `node.call(request)` sends one JSON line (a dict, or raw bytes sent as they are) on a
  new connection and returns the decoded reply line; `node.control()` keeps one
  connection open for several requests (`ControlConn`).
- `node.add(args, netns=None)`, `add_config(text)`, `remove(uuid)`, `listeners()`,
  `listener(uuid)`, `wait_listener_gone(uuid)` wrap the requests of the protocol.
- `ctl(binary, control, *args)` runs `ns-metadata-proxy ctl --control <control> ...`.
"""
import json
import os
import socket
import subprocess
import time

from . import proxy as proxy_mod

START_TIMEOUT = 10.0
CONTROL_TIMEOUT = 10.0


def listener_args(identity, uuid, agent_socket, *extra, port=0):
    """Neutron options of one loopback listener on `port` (0: any free port)."""
    return [identity, uuid, "--bind_host", "127.0.0.1", "--metadata_port", str(port),
            "--metadata_proxy_socket", agent_socket, *proxy_mod.FAST_TIMEOUTS, *extra]


def port_of(listening):
    """The port of a reply's "listening" field, e.g. "127.0.0.1:41234" -> 41234."""
    host, _, port = listening.rpartition(":")
    assert host == "127.0.0.1", listening
    return int(port)


class ControlConn:
    """One connection to the control socket: send lines, read reply lines."""

    def __init__(self, path, timeout=CONTROL_TIMEOUT):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.timeout = timeout
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = bytearray()

    def send(self, request):
        """A dict is sent as one JSON line; bytes are sent exactly as given."""
        raw = request if isinstance(request, bytes) else json.dumps(request).encode() + b"\n"
        self.sock.sendall(raw)

    def read_line(self):
        """The next reply line (without its newline); b"" if the node closed first."""
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:  # closed with our request unread: closed too
                chunk = b""
            if not chunk:
                return b""
            self.buf += chunk
        line, _, rest = bytes(self.buf).partition(b"\n")
        self.buf = bytearray(rest)
        return line

    def read_reply(self):
        line = self.read_line()
        assert line, "the node closed the control connection without a reply"
        reply = json.loads(line)
        assert isinstance(reply, dict) and isinstance(reply.get("ok"), bool), line
        return reply

    def call(self, request):
        self.send(request)
        return self.read_reply()

    def pending_bytes(self):
        """What has arrived and not been read yet, without waiting."""
        self.sock.setblocking(False)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.buf += chunk
        except BlockingIOError:
            pass
        finally:
            self.sock.settimeout(self.timeout)
        return bytes(self.buf)

    def closed(self):
        """True when the node has closed this connection with nothing more to read."""
        return self.read_line() == b"" and not self.buf

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Node(proxy_mod.Proxy):
    """A running `ns-metadata-proxy node`."""

    def __init__(self, binary, workdir, name="node", control=None, extra=(), log_file=None):
        self.control_path = control or os.path.join(workdir, f"{name}.ctl")
        args = ["node", "--control", self.control_path, "--nodaemonize", *extra]
        super().__init__(binary, workdir, args, log_file=log_file, name=name)

    def start(self):
        """Spawn and wait (bounded) until the control socket accepts a connection."""
        self.spawn()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"node exited with {self.proc.returncode}:\n{self.log()}")
            try:
                ControlConn(self.control_path, timeout=1).close()
                return self
            except OSError:
                time.sleep(0.01)
        raise AssertionError(f"node's control socket not up within {START_TIMEOUT}s:\n{self.log()}")

    # -- control requests ----------------------------------------------------
    def control(self):
        return ControlConn(self.control_path)

    def call(self, request):
        with self.control() as c:
            return c.call(request)

    def add(self, args, netns=None):
        request = {"op": "add", "args": list(args)}
        if netns is not None:
            request["netns"] = netns
        return self.call(request)

    def add_config(self, text, netns=None):
        request = {"op": "add", "haproxy_config": text}
        if netns is not None:
            request["netns"] = netns
        return self.call(request)

    def add_ok(self, args):
        """Add a listener that must be accepted; returns (reply, port)."""
        reply = self.add(args)
        assert reply["ok"] is True, reply
        return reply, port_of(reply["listening"])

    def remove(self, uuid):
        return self.call({"op": "remove", "uuid": uuid})

    def listeners(self):
        reply = self.call({"op": "list"})
        assert reply["ok"] is True, reply
        return reply["listeners"]

    def listener(self, uuid):
        """The list entry of uuid, or None."""
        found = [e for e in self.listeners() if e["uuid"] == uuid]
        assert len(found) <= 1, found
        return found[0] if found else None

    def wait_listener(self, uuid, predicate, timeout=5.0, what="listener state"):
        """Poll `list` (bounded) until predicate(entry or None) holds; returns the entry."""
        deadline = time.monotonic() + timeout
        while True:
            entry = self.listener(uuid)
            if predicate(entry):
                return entry
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}: {entry}")
            time.sleep(0.02)


def ctl(binary, control, *args, timeout=10.0):
    """Run `ns-metadata-proxy ctl --control CONTROL ARGS...` (control None: no option)."""
    argv = [binary, "ctl", *(["--control", control] if control else []), *args]
    out = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         timeout=timeout)
    assert proxy_mod.sanitizer_report(out.stderr) is None, out.stderr
    return out
