// llhttp (strict mode, no lenient flags) applied to one complete message head
// -- HeadScanner found its end and checked it byte by byte. llhttp reads heads
// only: bodies are decoded by our own BodyDecoder (body_decoder.h), so no
// llhttp state outlives a call. parseHead() builds its parser on the stack,
// and HeadFields has a fixed capacity, so that a HeadFields lives on the stack
// of the code that uses it: nothing one connection parses can land in storage
// another connection touches.
#pragma once

#include <llhttp.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "http/limits.h"

namespace nsmp::http {

struct Header {
  std::string_view name;
  std::string_view value;  // leading and trailing whitespace removed (RFC 9112 §5)
};

// What one head says. Every view points into the bytes given to parseHead()
// and is valid as long as they are.
struct HeadFields {
  std::string_view method;  // request
  std::string_view target;  // request
  std::string_view reason;  // response
  int status = 0;           // response
  uint8_t major = 1;
  uint8_t minor = 1;
  uint8_t method_id = 0;  // llhttp_method_t
  bool upgrade = false;   // llhttp saw Connection: upgrade + Upgrade

  // The framing the head declares (RFC 9112 §6.3), as llhttp read it.
  bool chunked = false;             // Transfer-Encoding: chunked
  bool has_content_length = false;  // Content-Length present (llhttp refuses repeats)
  uint64_t content_length = 0;
  bool body_follows = false;  // false: the message ends with its head
  bool until_close = false;   // response body delimited by the connection closing
  bool keep_alive = false;    // Connection and version allow another message

  std::span<const Header> headers() const { return {fields_.data(), count_}; }
  std::span<Header> headers() { return {fields_.data(), count_}; }
  // False when the head already has kMaxFields fields.
  bool addHeader(std::string_view name) {
    if (count_ == kMaxFields) return false;
    fields_[count_++] = Header{name, {}};
    return true;
  }

 private:
  std::array<Header, kMaxFields> fields_{};
  uint32_t count_ = 0;
};

enum class HeadKind : uint8_t {
  kRequest,
  kResponse,
  kResponseToHead,  // RFC 9110 §9.3.2: no body, whatever the framing says
};

// Parses a complete head into `out` (reset first). HPE_OK when the head is
// valid; more than kMaxFields fields is HPE_USER.
llhttp_errno_t parseHead(std::string_view head, HeadKind kind, HeadFields* out);

}  // namespace nsmp::http
