"""What a reply the proxy makes itself looks like (engine contract, "Local replies")."""

# Accepted reason phrases per local-reply status (RFC 9110 and older spellings).
PHRASES = {
    400: {"Bad Request"},
    408: {"Request Timeout", "Request Time-out"},
    413: {"Content Too Large", "Payload Too Large", "Request Entity Too Large"},
    414: {"URI Too Long", "Request-URI Too Long", "Request-URI Too Large"},
    417: {"Expectation Failed"},
    429: {"Too Many Requests"},
    431: {"Request Header Fields Too Large"},
    502: {"Bad Gateway"},
    503: {"Service Unavailable"},
    504: {"Gateway Timeout", "Gateway Time-out"},
    505: {"HTTP Version Not Supported", "HTTP Version not supported"},
}


def check_local_reply(resp, code, reason):
    """A local reply: exact status, plain-text body naming the reason."""
    assert resp.status == code, f"expected {code} ({reason}), got {resp.status}: {resp.raw[:500]!r}"
    assert resp.version == "HTTP/1.1"
    assert resp.reason in PHRASES[code], f"unexpected phrase {resp.reason!r} for {code}"
    assert resp.header("Content-Type") == "text/plain"
    assert resp.body == f"{code} {resp.reason} ({reason})\n".encode(), resp.body
    assert resp.header("Content-Length") == str(len(resp.body))
    assert resp.framing == "length"
    if code != 429:
        # The exact bytes of the contract: nothing else is added.
        assert resp.raw == (
            f"HTTP/1.1 {code} {resp.reason}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(resp.body)}\r\nConnection: close\r\n\r\n"
        ).encode() + resp.body, resp.raw
