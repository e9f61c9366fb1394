"""Test harness for driving the real ns-metadata-proxy binary.

wire      -- a raw HTTP/1.x client that sends exact bytes and parses what comes back
upstream  -- a scripted metadata agent on a UNIX socket that records what it received
proxy     -- starts the binary, finds its port, reads its log and access log
"""
