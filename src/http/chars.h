// Character classes of HTTP's grammar (RFC 9110 §5.6, RFC 9112), one place.
#pragma once

#include <array>
#include <string_view>

namespace nsmp::http {

// tchar: the characters of a token (field names, methods, extension names).
inline constexpr std::array<bool, 256> kTchar = [] {
  std::array<bool, 256> t{};
  for (unsigned c = '0'; c <= '9'; ++c) t[c] = true;
  for (unsigned c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (unsigned c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

constexpr bool isTchar(unsigned char c) { return kTchar[c]; }

constexpr bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isTchar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// field-vchar and the whitespace allowed inside a field value (§5.5).
constexpr bool isFieldValueByte(unsigned char c) {
  return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

// The value of a hex digit, or -1.
constexpr int hexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace nsmp::http
