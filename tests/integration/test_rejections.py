"""Bad input: a clear local status, the connection closed, nothing forwarded."""
import pytest

H = b"Host: 169.254.169.254\r\n"

# (id, raw request, status, reason word)
CASES = [
    ("cl_and_te", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     400, "content_length_and_transfer_encoding"),
    ("te_and_cl", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
     400, "content_length_and_transfer_encoding"),
    ("te_gzip", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip\r\n\r\n",
     400, "invalid_transfer_encoding"),
    ("te_gzip_chunked", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
     400, "invalid_transfer_encoding"),
    ("te_chunked_twice", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
     400, "invalid_transfer_encoding"),
    ("te_two_headers", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     400, "invalid_transfer_encoding"),
    ("te_identity", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: identity\r\n\r\n",
     400, "invalid_transfer_encoding"),
    ("te_chunked_gzip", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
     400, "invalid_transfer_encoding"),
    ("cl_differing", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
     400, "invalid_content_length"),
    ("cl_list_differing", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3, 4\r\n\r\nabcd",
     400, "invalid_content_length"),
    ("cl_non_numeric", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: abc\r\n\r\n",
     400, "invalid_content_length"),
    ("cl_negative", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n",
     400, "invalid_content_length"),
    ("cl_plus", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: +3\r\n\r\nabc",
     400, "invalid_content_length"),
    ("cl_hex", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 0x3\r\n\r\nabc",
     400, "invalid_content_length"),
    ("cl_overflow", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 99999999999999999999999\r\n\r\n",
     400, "invalid_content_length"),
    ("obs_fold", b"GET / HTTP/1.1\r\n" + H + b"X-A: one\r\n two\r\n\r\n", 400, "obs_fold"),
    ("obs_fold_tab", b"GET / HTTP/1.1\r\n" + H + b"X-A: one\r\n\ttwo\r\n\r\n", 400, "obs_fold"),
    ("bare_cr_in_value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\rb\r\n\r\n", 400, "bare_cr_or_lf"),
    ("bare_lf_header_end", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\n\r\n", 400, "bare_cr_or_lf"),
    ("bare_lf_request_line", b"GET / HTTP/1.1\n" + H + b"\r\n", 400, "bare_cr_or_lf"),
    ("bare_lf_final", b"GET / HTTP/1.1\r\n" + H + b"\n", 400, "bare_cr_or_lf"),
    ("space_before_colon", b"GET / HTTP/1.1\r\n" + H + b"X-A : b\r\n\r\n", 400, "invalid_header_name"),
    ("tab_before_colon", b"GET / HTTP/1.1\r\n" + H + b"X-A\t: b\r\n\r\n", 400, "invalid_header_name"),
    ("space_before_colon_cl", b"POST / HTTP/1.1\r\n" + H + b"Content-Length : 3\r\n\r\nabc",
     400, "invalid_header_name"),
    ("empty_name", b"GET / HTTP/1.1\r\n" + H + b": value\r\n\r\n", 400, "invalid_header_name"),
    ("non_token_name", b"GET / HTTP/1.1\r\n" + H + b"X(A): b\r\n\r\n", 400, "invalid_header_name"),
    ("non_token_name_slash", b"GET / HTTP/1.1\r\n" + H + b"X/A: b\r\n\r\n", 400, "invalid_header_name"),
    ("name_without_colon", b"GET / HTTP/1.1\r\n" + H + b"X-A\r\n\r\n", 400, "invalid_header_name"),
    ("nul_in_value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n", 400, "invalid_header_value"),
    ("ctl_in_value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x01b\r\n\r\n", 400, "invalid_header_value"),
    ("del_in_value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x7fb\r\n\r\n", 400, "invalid_header_value"),
    ("esc_in_value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x1bb\r\n\r\n", 400, "invalid_header_value"),
    ("chunk_size_not_hex", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
     400, "invalid_chunk"),
    ("chunk_size_overflow", b"POST / HTTP/1.1\r\n" + H
     + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff1\r\nab\r\n0\r\n\r\n", 400, "invalid_chunk"),
    ("chunk_size_empty", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n\r\nab\r\n0\r\n\r\n",
     400, "invalid_chunk"),
    ("chunk_size_negative", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n-2\r\nab\r\n0\r\n\r\n",
     400, "invalid_chunk"),
    ("chunk_data_too_long", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
     400, "invalid_chunk"),
    ("chunk_bare_lf", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n",
     400, "invalid_chunk"),
    ("te_on_http10", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     400, "transfer_encoding_on_http10"),
    ("missing_host", b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400, "missing_host"),
    ("duplicate_host", b"GET / HTTP/1.1\r\n" + H + H + b"\r\n", 400, "duplicate_host"),
    ("duplicate_host_other_case", b"GET / HTTP/1.1\r\n" + H + b"host: other\r\n\r\n", 400, "duplicate_host"),
    # "Another host" = an authority that disagrees with Host (RFC 9112 3.2.2: the
    # authority replaces Host; a disagreement is an ambiguity between hops).
    ("foreign_absolute_uri", b"GET http://evil.example/latest HTTP/1.1\r\n" + H + b"\r\n",
     400, "foreign_absolute_uri"),
    ("foreign_absolute_uri_port", b"GET http://169.254.169.254:8775/latest HTTP/1.1\r\n" + H + b"\r\n",
     400, "foreign_absolute_uri"),
    ("connect", b"CONNECT 169.254.169.254:80 HTTP/1.1\r\n" + H + b"\r\n", 400, "connect_method"),
    ("http09", b"GET /\r\n", 400, "http09"),
    ("garbage_request_line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "invalid_request"),
    ("http2_version", b"GET / HTTP/2.0\r\n" + H + b"\r\n", 505, "unsupported_version"),
    ("http3_version", b"GET / HTTP/3.0\r\n" + H + b"\r\n", 505, "unsupported_version"),
    ("uri_too_long", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + H + b"\r\n", 414, "uri_too_long"),
    ("headers_too_large", b"GET / HTTP/1.1\r\n" + H
     + b"".join(b"X-Big-%d: " % i + b"v" * 7000 + b"\r\n" for i in range(5)) + b"\r\n",
     431, "headers_too_large"),
    ("too_many_headers", b"GET / HTTP/1.1\r\n" + H
     + b"".join(b"X-H-%d: v\r\n" % i for i in range(100)) + b"\r\n", 431, "too_many_headers"),
]


@pytest.mark.parametrize("raw,code,reason", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_request_gets_local_reply(expect_local_reply, feed, raw, code, reason):
    # A bad chunk is found while the body streams: the head may already be upstream.
    expect_local_reply(raw, code, reason, feed, body_phase=reason == "invalid_chunk")


def test_request_line_just_under_8k_is_accepted(proxy, upstream):
    target = b"/" + b"a" * (8 * 1024 - 64)
    resp = proxy.request(b"GET " + target + b" HTTP/1.1\r\n" + H + b"\r\n")
    assert resp.status == 200
    assert upstream.received[0].startswith(b"GET " + target + b" HTTP/1.1\r\n")


def test_header_fields_up_to_what_the_agent_may_get_are_accepted(proxy, upstream):
    """The agent gets at most 100 fields too: Host and 96 more, plus the proxy's
    identity, X-Forwarded-For and Connection, is the largest head forwarded."""
    raw = b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-H-%d: v\r\n" % i for i in range(96)) + b"\r\n"
    assert proxy.request(raw).status == 200
    forwarded = upstream.received[0]
    assert forwarded.count(b"X-H-") == 96
    assert forwarded.split(b"\r\n\r\n")[0].count(b"\r\n") == 100  # fields after the request line


def test_header_fields_the_proxy_would_push_past_100_get_431(proxy, upstream):
    from harness.local_reply import check_local_reply
    raw = b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-H-%d: v\r\n" % i for i in range(97)) + b"\r\n"
    check_local_reply(proxy.request(raw), 431, "too_many_headers")
    assert upstream.received == []


def test_header_block_just_under_32k_is_accepted(proxy, upstream):
    raw = (b"GET / HTTP/1.1\r\n" + H
           + b"".join(b"X-Big-%d: " % i + b"v" * 7000 + b"\r\n" for i in range(4)) + b"\r\n")
    assert len(raw) < 32 * 1024
    assert proxy.request(raw).status == 200
    assert upstream.received[0].count(b"v" * 7000) == 4


def test_http10_without_host_is_accepted(proxy, upstream):
    assert proxy.request(b"GET / HTTP/1.0\r\n\r\n").status == 200


def test_bad_request_after_good_one_on_same_connection(proxy, upstream, feed):
    """A keep-alive connection: the good request is forwarded, the bad one is not."""
    from harness import wire
    from harness.local_reply import check_local_reply

    with proxy.connect() as c:
        assert c.request(wire.get("/good"), feed).status == 200
        c.send(b"GET / HTTP/1.1\r\n" + H + b"X-A: one\r\n two\r\n\r\n", feed, stop_on_reply=True)
        check_local_reply(c.read_response(), 400, "obs_fold")
        assert c.wait_closed()
    assert len(upstream.received) == 1
    assert upstream.received[0].startswith(b"GET /good HTTP/1.1\r\n")


def test_smuggled_request_behind_cl_te_is_never_forwarded(proxy, upstream):
    smuggled = b"GET /admin HTTP/1.1\r\n" + H + b"\r\n"
    raw = (b"POST / HTTP/1.1\r\n" + H + b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
           % (5 + len(smuggled)) + smuggled)
    with proxy.connect() as c:
        c.send(raw)
        assert c.read_response().status == 400
        assert c.wait_closed()
    assert upstream.received == []
