// llhttp, wrapped for the proxy's two-phase use:
//  1. parseHead() parses one complete head (HeadScanner found its end), so
//     every field and value arrives as one contiguous span into the caller's
//     buffer -- no copies. The spans stay valid as long as those bytes do.
//  2. feedBody() decodes the body (Content-Length or chunked) as it arrives
//     and hands each decoded span to a BodySink; it stops after the message,
//     so pipelined bytes are left for the next request.
// llhttp runs in strict mode (no lenient flags).
#pragma once

#include <llhttp.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace nsmp::http {

struct Header {
  std::string_view name;
  std::string_view value;
};

// What llhttp reports for one head. Reused between messages (clear()).
struct HeadFields {
  std::string_view method;  // request
  std::string_view target;  // request
  std::string_view reason;  // response
  int status = 0;           // response
  uint8_t major = 1;
  uint8_t minor = 1;
  uint8_t method_id = 0;  // llhttp_method_t
  bool upgrade = false;   // llhttp saw Connection: upgrade + Upgrade
  std::vector<Header> headers;
  void clear();
};

class BodySink {
 public:
  virtual void onBodyData(std::string_view data) = 0;

 protected:
  ~BodySink() = default;
};

class MessageParser {
 public:
  explicit MessageParser(llhttp_type_t type);
  MessageParser(const MessageParser&) = delete;
  MessageParser& operator=(const MessageParser&) = delete;

  // Starts a new message. `no_body`: the response to a HEAD request.
  void reset(bool no_body = false);

  // Parses a complete head into `out`. Returns HPE_OK when the head is valid;
  // messageComplete() then tells whether the message has no body at all.
  llhttp_errno_t parseHead(std::string_view head, HeadFields* out);

  struct Fed {
    size_t consumed;
    llhttp_errno_t error;  // HPE_OK, or the reason the body is malformed
  };
  // Decodes up to `data.size()` body bytes.
  Fed feedBody(std::string_view data, BodySink& sink);
  // The peer closed: completes a body delimited by close, else reports an error.
  llhttp_errno_t finish(BodySink& sink);

  bool messageComplete() const { return complete_; }
  bool keepAlive() const { return keep_alive_; }
  bool chunked() const { return (parser_.flags & F_CHUNKED) != 0; }
  bool hasContentLength() const { return (parser_.flags & F_CONTENT_LENGTH) != 0; }
  uint64_t contentLength() const { return content_length_; }
  // Body delimited by the connection closing (responses only).
  bool needsEof() const { return llhttp_message_needs_eof(&parser_) != 0; }
  const char* errorReason() const { return llhttp_get_error_reason(&parser_); }

 private:
  static int onMethod(llhttp_t* p, const char* at, size_t len);
  static int onUrl(llhttp_t* p, const char* at, size_t len);
  static int onStatus(llhttp_t* p, const char* at, size_t len);
  static int onHeaderField(llhttp_t* p, const char* at, size_t len);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int onHeadersComplete(llhttp_t* p);
  static int onBody(llhttp_t* p, const char* at, size_t len);
  static int onMessageComplete(llhttp_t* p);
  static const llhttp_settings_t* settings();

  llhttp_t parser_;
  HeadFields* head_ = nullptr;
  BodySink* sink_ = nullptr;
  uint64_t content_length_ = 0;
  bool no_body_ = false;
  bool complete_ = false;
  bool keep_alive_ = false;
  bool in_value_ = false;
};

}  // namespace nsmp::http
