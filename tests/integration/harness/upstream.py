"""A scripted metadata agent on a UNIX socket.

Every accepted connection is handled by the next scripted behaviour (or the
default one) in its own thread. Each connection records the exact bytes it
received, so tests assert on `upstream.received[i]`.
"""
import collections
import os
import socket
import threading
import time

WAIT = 5.0


class UpstreamConn:
    def __init__(self, sock, upstream, index):
        self.sock = sock
        self.upstream = upstream
        self.index = index
        self.data = bytearray()
        self.request_complete = threading.Event()
        self.finished = threading.Event()
        self.bytes_sent = 0
        self.lock = threading.Lock()

    # -- reading -------------------------------------------------------------
    def _recv(self, deadline):
        self.sock.settimeout(max(0.01, min(0.2, deadline - time.monotonic())))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return None
        except OSError:
            return b""
        with self.lock:
            self.data += chunk
        return chunk

    def read_request(self, timeout=WAIT):
        """Read until one complete request (by its own framing) is in; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.upstream.stopping.is_set():
            if request_length(bytes(self.data)) is not None:
                break
            chunk = self._recv(deadline)
            if chunk == b"":
                break
        self.request_complete.set()
        return bytes(self.data)

    def read_some(self, max_bytes):
        """Read up to max_bytes (one recv), for tests that throttle the proxy."""
        self.sock.settimeout(WAIT)
        chunk = self.sock.recv(max_bytes)
        with self.lock:
            self.data += chunk
        return chunk

    # -- writing -------------------------------------------------------------
    def send(self, raw):
        self.sock.settimeout(0.5)  # short, so that stop() ends a blocked sender promptly
        view = memoryview(raw)
        while view and not self.upstream.stopping.is_set():
            try:
                n = self.sock.send(view[:65536])
            except socket.timeout:
                continue
            except OSError:
                return False
            self.bytes_sent += n
            view = view[n:]
        return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def hold(self):
        """Keep the connection open until the test ends."""
        self.upstream.stopping.wait(60)


def request_length(data):
    """Length of the first complete request in data, or None if incomplete."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = data[:end].decode("latin-1")
    pos = end + 4
    te = cl = None
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "transfer-encoding":
            te = value.strip().lower()
        elif name.strip().lower() == "content-length":
            cl = int(value.strip())
    if te == "chunked":
        while True:
            eol = data.find(b"\r\n", pos)
            if eol < 0:
                return None
            size = int(data[pos:eol].split(b";")[0], 16)
            pos = eol + 2
            if size == 0:
                while True:
                    eol = data.find(b"\r\n", pos)
                    if eol < 0:
                        return None
                    line_empty = eol == pos
                    pos = eol + 2
                    if line_empty:
                        return pos
            if len(data) < pos + size + 2:
                return None
            pos += size + 2
    if cl is not None:
        return pos + cl if len(data) >= pos + cl else None
    return pos


def split_request(data):
    """(head bytes incl. final CRLFCRLF, body bytes) of a recorded request."""
    end = data.index(b"\r\n\r\n") + 4
    return data[:end], data[end:]


def split_chunked(body):
    """(data, trailer bytes) of a chunked body; chunk sizes and extensions dropped."""
    out = bytearray()
    pos = 0
    while True:
        eol = body.index(b"\r\n", pos)
        size = int(body[pos:eol].split(b";")[0], 16)
        pos = eol + 2
        if size == 0:
            return bytes(out), body[pos:-2] if body.endswith(b"\r\n") else body[pos:]
        out += body[pos : pos + size]
        assert body[pos + size : pos + size + 2] == b"\r\n"
        pos += size + 2


def decode_chunked(body):
    """The data of a chunked body the proxy wrote: it never forwards trailers."""
    data, trailers = split_chunked(body)
    assert trailers == b"" and body.endswith(b"\r\n\r\n"), f"trailers forwarded: {body!r}"
    return data


def request_body(data):
    """The decoded body of a recorded request, checking that it is framed exactly."""
    head, body = split_request(data)
    lower = head.lower()
    if b"\r\ntransfer-encoding: chunked\r\n" in lower:
        assert b"\r\ncontent-length:" not in lower
        return decode_chunked(body)
    if b"\r\ncontent-length:" in lower:
        cl = int(lower.split(b"\r\ncontent-length:")[1].split(b"\r\n")[0])
        assert len(body) == cl, f"Content-Length {cl} but {len(body)} body bytes"
        return body
    assert body == b"", f"body without framing: {body[:200]!r}"
    return body


# -- behaviours: callables run with the UpstreamConn ------------------------


def response(status=200, body=b"ok", headers=(), reason=None):
    """Bytes of a simple Content-Length response."""
    reasons = {200: "OK", 201: "Created", 204: "No Content", 304: "Not Modified", 404: "Not Found"}
    reason = reason or reasons.get(status, "Whatever")
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{n}: {v}" for n, v in headers]
    if status not in (204, 304):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def reply(raw):
    """Read the request, answer with exactly `raw`, close."""

    def behaviour(conn):
        conn.read_request()
        conn.send(raw)
        conn.close()

    behaviour.__name__ = "reply"
    return behaviour


def reply_in_parts(parts, pause=0.05):
    """Read the request, answer in several writes, close."""

    def behaviour(conn):
        conn.read_request()
        for part in parts:
            conn.send(part)
            time.sleep(pause)
        conn.close()

    return behaviour


def echo_target(conn):
    """Answer 200 with the request target as body (to check ordering)."""
    data = conn.read_request()
    target = data.split(b" ", 2)[1] if b" " in data else b"?"
    conn.send(response(200, target))
    conn.close()


def wait_then_reply(event, raw):
    """Read the request, wait until the test sets `event`, then answer."""

    def behaviour(conn):
        conn.read_request()
        event.wait(30)
        conn.send(raw)
        conn.close()

    return behaviour


def never_answer(conn):
    conn.read_request()
    conn.hold()
    conn.close()


def close_without_answer(conn):
    conn.read_request()
    conn.close()


def never_read(conn):
    conn.request_complete.set()
    conn.hold()
    conn.close()


def stream_large_body(total):
    """Send a Content-Length response of `total` bytes as fast as the proxy takes it."""

    def behaviour(conn):
        conn.read_request()
        conn.send(f"HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n".encode())
        block = b"x" * 65536
        left = total
        while left > 0 and not conn.upstream.stopping.is_set():
            n = min(left, len(block))
            if not conn.send(block[:n]):
                break
            left -= n
        conn.hold()
        conn.close()

    return behaviour


DEFAULT = reply(response(200, b"ok"))


class Upstream:
    def __init__(self, path, mode=0o777):
        self.path = path
        self.mode = mode
        self.script = collections.deque()
        self.default = DEFAULT
        self.conns = []
        self.cond = threading.Condition()
        self.stopping = threading.Event()
        self.listener = None
        self.thread = None
        self.workers = []

    # -- scripting -----------------------------------------------------------
    def answer(self, *behaviours):
        """The next connections are handled by these behaviours, in order."""
        self.script.extend(behaviours)

    def answer_all(self, behaviour):
        self.default = behaviour

    # -- observing -----------------------------------------------------------
    @property
    def received(self):
        """Exact bytes received, one entry per connection, in accept order."""
        with self.cond:
            return [bytes(c.data) for c in self.conns]

    @property
    def connection_count(self):
        with self.cond:
            return len(self.conns)

    def wait_connections(self, n, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.conns) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"upstream got {len(self.conns)} connections, expected {n}")
                self.cond.wait(left)
            return self.conns[n - 1]

    def wait_request(self, index=0, timeout=WAIT):
        conn = self.wait_connections(index + 1, timeout)
        assert conn.request_complete.wait(timeout), "upstream never got a complete request"
        return bytes(conn.data)

    # -- lifecycle -----------------------------------------------------------
    def start(self):
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        os.chmod(self.path, self.mode)
        self.listener.listen(128)
        self.listener.settimeout(0.1)
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()
        return self

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                sock, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.cond:
                conn = UpstreamConn(sock, self, len(self.conns))
                self.conns.append(conn)
                behaviour = self.script.popleft() if self.script else self.default
                self.cond.notify_all()
            worker = threading.Thread(target=self._run, args=(behaviour, conn), daemon=True)
            self.workers.append(worker)
            worker.start()

    def _run(self, behaviour, conn):
        try:
            behaviour(conn)
        except OSError:
            pass
        finally:
            conn.request_complete.set()
            conn.finished.set()
            conn.close()

    def stop(self):
        self.stopping.set()
        if self.listener:
            self.listener.close()
        if self.thread:
            self.thread.join(2)
        for c in self.conns:
            c.close()
        for w in self.workers:
            w.join(2)
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def single_recv_like_neutron(conn):
    """What Neutron's agent does since 2025: one recv(4096), answer, close.

    Answers 200 with "complete" if that one read held the whole request, else
    "partial" -- so a proxy that splits a small request over writes is caught
    whenever the agent reads between them.
    """
    conn.sock.settimeout(WAIT)
    chunk = conn.sock.recv(4096)
    with conn.lock:
        conn.data += chunk
    conn.request_complete.set()
    complete = request_length(chunk) == len(chunk)
    conn.send(response(200, b"complete" if complete else b"partial"))
    conn.close()
