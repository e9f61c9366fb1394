// Parsers for the argument shapes haproxy directives take. Each returns the
// value or a message saying what is wrong (no line number: the caller adds
// "line N: ").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "proxy/config.h"

namespace nsmp::haproxy {

// haproxy time format: digits with an optional unit us, ms, s, m, h or d; a
// bare number is milliseconds (haproxy's default unit for timeouts).
// Microseconds round up to the next millisecond. Zero is refused: haproxy
// reads it as "no timeout", which the engine does not offer.
Result<proxy::Millis> parseDuration(std::string_view text);

// A decimal count without sign that fits `max`.
Result<uint64_t> parseCount(std::string_view text, uint64_t max);

// haproxy size format used by `stick-table size`: digits with an optional
// k, m or g suffix (powers of 1024).
Result<uint64_t> parseSize(std::string_view text);

// `bind` address: "HOST:PORT" where HOST is an IPv4 literal, an IPv6 literal
// with or without brackets (the port is after the last colon, as haproxy
// reads it: "fe80::a9fe:a9fe:80" is fe80::a9fe:a9fe port 80), empty or "*"
// (all IPv4 addresses), or "::". Ranges, lists and "ipv4@"-style prefixes
// are refused.
Result<proxy::BindAddress> parseBindAddress(std::string_view text);

// `server` address: an absolute UNIX socket path, optionally "unix@/path".
Result<std::string> parseUnixServerAddress(std::string_view text);

bool isSyslogFacility(std::string_view name);
bool isSyslogLevel(std::string_view name);

}  // namespace nsmp::haproxy
