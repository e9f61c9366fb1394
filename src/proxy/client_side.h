// The VM's side of a session: an HTTP/1 server half on the VM's connection.
// It reads request heads through http::readRequestHead(), decodes request
// bodies with its own http::BodyDecoder, writes what the session puts in its
// output buffer, and closes with a lingering close. It decides nothing: every
// request, body byte and error goes to the session (Events), which holds the
// policy. One request is read at a time; pipelined bytes wait in the input
// buffer until the response before them has been sent, so answers leave in
// order and memory stays bounded.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/buffer.h"
#include "event/loop.h"
#include "http/body_decoder.h"
#include "http/head_scanner.h"
#include "http/request.h"
#include "net/fd.h"
#include "net/stream.h"

namespace nsmp::proxy {

class ClientSide final : public event::IoHandler, private http::BodySink {
 public:
  // Where the request being read is.
  enum class State : uint8_t {
    kIdle,     // before a request: no byte of it is in yet
    kHead,     // bytes of a request head are in, not the whole head
    kBody,     // the head went to the session; the body is decoded into its sink as room allows
    kRead,     // the request was read whole; bytes after it wait in the input buffer
    kClosing,  // the last reply is flushed, then FIN, then input is dropped until EOF
    kClosed,   // the connection is closed
  };

  class Events {
   public:
    virtual void onRequestStarted() = 0;  // the first byte of a request's head is in
    // A head that passed the request checks; its views are valid for the call only.
    virtual void onRequestHead(const http::RequestHead& head) = 0;
    virtual size_t requestBodyRoom() = 0;  // decoded body bytes the session takes now
    virtual void onRequestBody(std::string_view data) = 0;
    virtual void onRequestDone() = 0;
    virtual void onRequestRefused(http::Reply reply) = 0;  // a head or body the proxy refuses
    virtual void onClientGone(const char* why) = 0;  // EOF inside a request, or a failed write
    virtual void onClientDrained() = 0;              // the output buffer went out whole
    virtual void onClientClosed() = 0;               // the fd is closed; the session may go
    virtual void afterClientIo() = 0;                // end of an I/O callback: re-arm timers

   protected:
    ~Events() = default;
  };

  ClientSide(event::Loop& loop, Events& events, uint64_t max_body);

  Status open(net::Fd fd);
  State state() const { return state_; }
  bool closed() const { return state_ == State::kClosed; }
  // The VM closed its side (or reset), as far as reads have seen.
  bool peerClosed() const { return stream_.eof(); }
  bool idle() const { return state_ == State::kIdle && in_.empty(); }

  // The response toward the VM; the session writes, this side flushes.
  Buffer& out() { return out_; }
  bool outEmpty() const { return out_.empty(); }
  uint64_t bytesSent() const { return sent_; }
  void resetBytesSent() { sent_ = 0; }

  // Flushes the output buffer, later in this loop turn.
  void wake() { stream_.wake(); }
  // A reply replaces the response: nothing more of this request is read.
  void stopReading();
  // The response went out whole and the connection stays: the next request
  // is read (bytes already in are served at once).
  void nextRequest();
  // Flush what is queued, then close with a lingering close.
  void closeAfterFlush();
  void close();  // now; safe twice

  // The request line of the request in progress, escaped for the access log
  // (for a head not yet whole, what has come of it).
  std::string_view requestLine();

  void onIo(event::Watcher& w, uint32_t events) override;

 private:
  void process();
  void readHead();
  void readBody();
  void flush();
  void onBodyData(std::string_view data) override;

  Events& events_;
  uint64_t max_body_;
  net::Stream stream_;
  Buffer in_;
  Buffer out_;
  http::HeadScanner scanner_;
  http::BodyDecoder body_;
  std::string request_line_;
  uint64_t sent_ = 0;
  State state_ = State::kIdle;
};

}  // namespace nsmp::proxy
