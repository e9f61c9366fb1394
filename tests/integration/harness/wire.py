"""A raw HTTP/1.x client: exact bytes out, strict parsing of what comes back.

The parser is deliberately strict about framing, because the point of these
tests is that the proxy frames every response correctly: a response that is
not exactly one well-framed HTTP message fails the test.
"""
import dataclasses
import select
import socket
import time

DEFAULT_TIMEOUT = 5.0

# How long the byte-by-byte feeder waits between single-byte writes, so that the
# proxy really sees (and parses) one byte per read.
BYTEWISE_PAUSE = 0.0005
# Requests longer than this are fed byte by byte only at their start and end;
# the middle goes in odd-sized pieces so that large inputs stay fast.
BYTEWISE_EDGE = 1024

FEEDS = ("whole", "bytewise")


def wait_readable(sock, timeout):
    """poll(), not select(): the many-connections test uses descriptors above 1024."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(max(0.0, timeout) * 1000))


def wait_writable(sock, timeout):
    poller = select.poll()
    poller.register(sock, select.POLLOUT)
    return bool(poller.poll(max(0.0, timeout) * 1000))


class ProtocolError(AssertionError):
    """What came back is not a well-framed HTTP/1.x response."""


@dataclasses.dataclass
class Response:
    version: str
    status: int
    reason: str
    headers: list  # [(name, value)] in wire order, names as sent
    body: bytes
    raw: bytes  # the exact bytes of this response (interim responses excluded)
    framing: str  # "length", "chunked", "close" or "none"
    interim: list = dataclasses.field(default_factory=list)  # 1xx responses before it

    def header_all(self, name):
        lname = name.lower()
        return [v for n, v in self.headers if n.lower() == lname]

    def header(self, name):
        """The value of a header that must appear at most once (None if absent)."""
        values = self.header_all(name)
        if len(values) > 1:
            raise ProtocolError(f"header {name} appears {len(values)} times: {self.raw[:2000]!r}")
        return values[0] if values else None

    def has_header(self, name):
        return bool(self.header_all(name))

    def connection_tokens(self):
        tokens = []
        for v in self.header_all("Connection"):
            tokens += [t.strip().lower() for t in v.split(",") if t.strip()]
        return tokens


def _parse_head(head):
    """(version, status, reason, headers) of a response head (without the final CRLFCRLF)."""
    lines = head.split(b"\r\n")
    status_line = lines[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"bad status line {status_line!r}")
    version, status = parts[0], int(parts[1])
    reason = parts[2] if len(parts) == 3 else ""
    headers = []
    for line in lines[1:]:
        text = line.decode("latin-1")
        if ":" not in text or text[0] in " \t":
            raise ProtocolError(f"bad header line {text!r} in {head!r}")
        name, value = text.split(":", 1)
        if name != name.strip() or not name:
            raise ProtocolError(f"bad header name {name!r}")
        headers.append((name, value.strip(" \t")))
    return version, status, reason, headers


class Reader:
    """Buffered reads from a socket with a deadline per call."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.eof = False
        self.reset = False

    def _fill(self, deadline):
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out waiting for the proxy")
        if not wait_readable(self.sock, remaining):
            raise TimeoutError("timed out waiting for the proxy")
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            self.reset = True
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def read_until(self, marker, deadline, limit=1 << 20):
        while True:
            idx = self.buf.find(marker)
            if idx >= 0:
                out = bytes(self.buf[: idx + len(marker)])
                del self.buf[: idx + len(marker)]
                return out
            if len(self.buf) > limit:
                raise ProtocolError(f"no {marker!r} within {limit} bytes")
            if not self._fill(deadline):
                raise ProtocolError(
                    f"connection closed before {marker!r}; got {bytes(self.buf[:2000])!r}"
                    + (" (reset)" if self.reset else "")
                )

    def read_exact(self, n, deadline):
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise ProtocolError(f"connection closed after {len(self.buf)} of {n} body bytes")
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_to_eof(self, deadline):
        while self._fill(deadline):
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def wait_eof(self, deadline):
        """True once the peer closed (FIN or RST) with nothing more to read."""
        while not self.eof:
            self._fill(deadline)
        return True


def read_chunked(reader, deadline):
    """Decode a chunked body; returns (body, raw bytes including trailers)."""
    raw = bytearray()
    body = bytearray()
    while True:
        line = reader.read_until(b"\r\n", deadline, limit=4096)
        raw += line
        size_text = line[:-2].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ProtocolError(f"bad chunk size line {line!r}")
        if size == 0:
            while True:
                trailer = reader.read_until(b"\r\n", deadline, limit=65536)
                raw += trailer
                if trailer == b"\r\n":
                    return bytes(body), bytes(raw)
        data = reader.read_exact(size + 2, deadline)
        if data[-2:] != b"\r\n":
            raise ProtocolError(f"chunk of {size} bytes not followed by CRLF")
        raw += data
        body += data[:-2]


def read_response(reader, method="GET", timeout=DEFAULT_TIMEOUT):
    """Read one complete response (after any 1xx) and check its framing."""
    deadline = time.monotonic() + timeout
    interim = []
    while True:
        head = reader.read_until(b"\r\n\r\n", deadline, limit=256 * 1024)
        version, status, reason, headers = _parse_head(head[:-4])
        resp = Response(version, status, reason, headers, b"", head, "none")
        if 100 <= status < 200:
            if resp.has_header("Content-Length") or resp.has_header("Transfer-Encoding"):
                raise ProtocolError(f"1xx response with a body framing header: {head!r}")
            interim.append(resp)
            continue
        break
    resp.interim = interim
    te = resp.header_all("Transfer-Encoding")
    cl = resp.header_all("Content-Length")
    if te and cl:
        raise ProtocolError(f"response has both Transfer-Encoding and Content-Length: {head!r}")
    if len(set(cl)) > 1:
        raise ProtocolError(f"response has differing Content-Length: {head!r}")
    if method == "HEAD" or status in (204, 304):
        if te and status == 204:
            raise ProtocolError("204 with Transfer-Encoding")
        return resp
    if te:
        if [t.strip().lower() for t in ",".join(te).split(",")] != ["chunked"]:
            raise ProtocolError(f"unexpected Transfer-Encoding {te}")
        resp.body, raw = read_chunked(reader, deadline)
        resp.raw += raw
        resp.framing = "chunked"
    elif cl:
        n = int(cl[0])
        resp.body = reader.read_exact(n, deadline)
        resp.raw += resp.body
        resp.framing = "length"
    else:
        resp.body = reader.read_to_eof(deadline)
        resp.raw += resp.body
        resp.framing = "close"
    return resp


class Client:
    """One TCP connection to the proxy."""

    def __init__(self, port, host="127.0.0.1", timeout=DEFAULT_TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.reader = Reader(self.sock)
        self.local_port = self.sock.getsockname()[1]

    def _reply_started(self):
        return wait_readable(self.sock, 0)

    def send(self, raw, feed="whole", stop_on_reply=False):
        """Send raw bytes in one write ("whole") or one byte per write ("bytewise").

        With stop_on_reply, stop feeding as soon as the proxy has answered (a
        local reply may come before the whole request was sent). Returns the
        number of bytes sent; a reset or broken pipe ends the send quietly
        because the test then asserts on what the proxy answered.
        """
        try:
            if feed == "whole":
                self.sock.sendall(raw)
                return len(raw)
            assert feed == "bytewise", feed
            sent = 0
            n = len(raw)
            while sent < n:
                if stop_on_reply and self._reply_started():
                    return sent
                if BYTEWISE_EDGE <= sent < n - BYTEWISE_EDGE:
                    step = min(997, n - BYTEWISE_EDGE - sent)
                else:
                    step = 1
                self.sock.sendall(raw[sent : sent + step])
                sent += step
                if step == 1:
                    time.sleep(BYTEWISE_PAUSE)
            return sent
        except (BrokenPipeError, ConnectionResetError):
            return -1

    def read_response(self, method="GET", timeout=None):
        return read_response(self.reader, method, timeout or self.timeout)

    def request(self, raw, feed="whole", method=None):
        self.send(raw, feed)
        return self.read_response(method or raw.split(b" ", 1)[0].decode())

    def wait_closed(self, timeout=None):
        """True when the proxy closed the connection and sent nothing more."""
        deadline = time.monotonic() + (timeout or self.timeout)
        self.reader.wait_eof(deadline)
        if self.reader.buf:
            raise ProtocolError(f"unexpected bytes after the response: {bytes(self.reader.buf[:500])!r}")
        return True

    def pending_bytes(self, wait=0.0):
        """Whatever arrives within `wait` seconds (used to prove that nothing extra came)."""
        deadline = time.monotonic() + wait
        try:
            while True:
                ready = wait_readable(self.sock, deadline - time.monotonic())
                if not ready or not self.reader._fill(deadline + 1):
                    break
        except TimeoutError:
            pass
        out = bytes(self.reader.buf)
        return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def get(path="/", host="169.254.169.254", extra=b"", version="1.1"):
    """A simple GET request's bytes."""
    return (
        f"GET {path} HTTP/{version}\r\nHost: {host}\r\n".encode() + extra + b"\r\n"
    )


def wait_for(predicate, timeout=5.0, what="condition"):
    """Polls `predicate` every 20 ms until it holds; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def connect_refused(port, host="127.0.0.1"):
    """Nothing listens on the port. A probe caught in the backlog as the listening
    socket closes is reset rather than refused: that means closed too."""
    try:
        socket.create_connection((host, port), timeout=1).close()
        return False
    except (ConnectionRefusedError, ConnectionResetError):
        return True
