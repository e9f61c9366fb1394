#!/usr/bin/env python3
"""Writes the session fuzzer's seed inputs into fuzz/corpus/session/ (run once; libFuzzer
adds what it finds). Each seed is byte 0 (the listener's options) and operations, as
fuzz/session_fuzzer.cc decodes them."""
import os
import sys

OPS = {"send": 0, "template": 1, "flood": 2, "shut": 3, "close": 4, "open": 5, "read": 6,
       "agent_send": 7, "agent_answer": 8, "agent_close": 9, "agent_read": 10, "advance": 11,
       "shutdown": 12, "toggle_agent": 13}
KEEPALIVE, RATE_LIMIT, PER_SOURCE, SMALL_BODY = 1, 2, 4, 8


def op(name, k=0, *operands):
    out = bytes([OPS[name], k])
    for o in operands:
        out += o if isinstance(o, bytes) else bytes([o])
    return out


def send(k, data):
    assert 1 <= len(data) <= 256
    return op("send", k, len(data) - 1, data)


def answer(conn, which, body=b""):
    return op("agent_answer", conn, which, len(body), body)


SEEDS = {
    "get": [0, op("template", 0, 0), answer(0, 0, b"{}"), op("read", 0)],
    "keepalive-pipelined": [KEEPALIVE, send(0, b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"),
                            answer(0, 5, b"a"), op("read", 0), answer(0, 0, b"b"), answer(1, 0, b"b"),
                            op("read", 0)],
    "two-vms": [PER_SOURCE, op("template", 0, 0), op("template", 1, 3), answer(1, 0, b"one"),
                answer(0, 1, b"zero"), op("read", 0), op("read", 1)],
    # Defect 1 of issue #10: a trailer cut in its value, another VM's head, the rest.
    "trailer-across-connections": [0, send(0, b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: abc"),
                                   send(1, b"BOGUS / HTTP/1.1\r\n\r\n"), send(0, b"def\r\n\r\n"),
                                   answer(0, 0, b"ok"), op("read", 0), op("read", 1)],
    "trailer-flood": [0, send(0, b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n"),
                      op("flood", 0, 4, b"a:b\r", 255), op("read", 0)],
    "chunk-extension-flood": [SMALL_BODY, send(0, b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;x="),
                              op("flood", 0, 1, b"e", 40), op("read", 0)],
    "bare-cr-after-last-chunk": [0, send(0, b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rGET /s HTTP/1.1\r\nHost: h\r\n\r\n"),
                                 op("read", 0)],
    "expect-continue": [0, op("template", 0, 5), op("read", 0), send(0, b"abc"), answer(0, 2),
                        answer(0, 0, b"ok"), op("read", 0)],
    "timeouts": [0, send(0, b"GET / HTTP/1.1\r\n"), op("template", 1, 0), op("advance", 130),
                 op("read", 0), op("read", 1)],
    "agent-gone": [0, op("toggle_agent"), op("template", 0, 0), op("advance", 4), op("read", 0)],
    "rate-limited-head": [RATE_LIMIT, *[op("template", 0, 2) for _ in range(8)], answer(0, 0),
                          op("read", 0)],
    "per-source": [PER_SOURCE, op("close", 3), op("open", 3), op("template", 3, 0), op("read", 3)],
    "shutdown-in-flight": [KEEPALIVE, op("template", 0, 0), op("shutdown", 0), answer(0, 0, b"x"),
                           op("read", 0)],
    "close-delimited": [0, op("template", 0, 6), answer(0, 4, b"body"), op("read", 0)],
    "agent-cuts-response": [0, op("template", 0, 0), answer(0, 6, b"abc"), op("agent_close", 0),
                            op("read", 0)],
    "spoofing": [0, op("template", 0, 7), op("template", 1, 8), answer(0, 0), answer(1, 0),
                 op("read", 0), op("read", 1)],
    "oversized-agent-head": [0, op("template", 0, 0),
                             *[op("agent_send", 0, 255, b"X-Big: " + b"v" * 247 + b"\r\n"[:2]) for _ in range(1)],
                             op("read", 0)],
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "corpus", "session")
    os.makedirs(out, exist_ok=True)
    for name, parts in SEEDS.items():
        data = bytes([parts[0]]) + b"".join(parts[1:])
        with open(os.path.join(out, f"seed-{name}"), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {out}")


if __name__ == "__main__":
    main()
