// The agent's side of a session: an HTTP/1 client half on a connection to the
// metadata agent (fresh, or kept, see upstream_pool.h). It sends what the
// session puts in its output buffer, reads the response head through
// http::readResponseHead(), decodes the body with its own http::BodyDecoder
// and hands everything to the session (Events), which holds the policy. A
// request sent over a kept connection that the agent closed before answering
// is offered to the session to send again (it may go twice: GET/HEAD only).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/buffer.h"
#include "event/loop.h"
#include "http/body_decoder.h"
#include "http/head_scanner.h"
#include "http/response.h"
#include "proxy/upstream_pool.h"

namespace nsmp::proxy {

class UpstreamSide final : public event::IoHandler, private http::BodySink {
 public:
  // Where the response is.
  enum class State : uint8_t {
    kIdle,  // no agent connection held: before a request, between attempts, after a response
    kHead,  // connected: the request is going out, the response head is awaited (1xx relayed)
    kBody,  // the head went to the session; the body is decoded into its sink as room allows
    kDone,  // the response is complete; the session gives the connection back
  };

  class Events {
   public:
    virtual void onInterimResponse(const http::HeadFields& head) = 0;
    // A final head; false: the session refused it (and answered itself).
    virtual bool onResponseHead(const http::HeadFields& head) = 0;
    virtual size_t responseBodyRoom() = 0;  // decoded body bytes the session takes now
    virtual void onResponseBody(std::string_view data) = 0;
    // `reusable`: the agent keeps the connection and nothing follows the response.
    virtual void onResponseDone(bool reusable) = 0;
    virtual void onUpstreamRefused(http::Reply reply) = 0;  // no usable response head
    virtual void onUpstreamAborted(const char* why) = 0;    // the response broke off
    virtual void onUpstreamStale() = 0;     // a kept connection was closed unanswered: send again
    virtual void onRequestAbandoned() = 0;  // the agent stopped reading the request
    virtual void onUpstreamDrained() = 0;   // the output buffer went out whole
    virtual void afterUpstreamIo() = 0;     // end of an I/O callback: re-arm timers

   protected:
    ~Events() = default;
  };

  UpstreamSide(Events& events, UpstreamPool& pool);
  ~UpstreamSide();

  // The request toward the agent; the session writes, this side flushes.
  Buffer& out() { return out_; }
  // Room for a body of `bytes` added whole after the head (a chunked request).
  void growOut(size_t bytes) { out_.setLimit(out_.limit() + bytes); }
  // Empties the request buffer and restores its limit, for the next request.
  void resetOut();
  // Takes a connection (a kept one if `may_reuse`) and starts sending.
  Status connect(bool may_reuse, bool head_request);
  // Gives the connection back: kept idle if `reusable`, else closed.
  void release(bool reusable);
  State state() const { return state_; }
  bool connected() const { return conn_ != nullptr; }
  // Sends and reads later in this loop turn.
  void wake();

  void onIo(event::Watcher& w, uint32_t events) override;

 private:
  void process();
  void flushRequest();
  void readHead();
  // With bytes in in_: parses one head and hands it on. True when readHead
  // goes on reading (an interim 1xx was consumed), false when it stops.
  bool takeHead();
  void readBody();
  void finishResponse();
  bool retryStale();
  void onBodyData(std::string_view data) override;
  net::Stream& stream() { return conn_->stream(); }

  Events& events_;
  UpstreamPool& pool_;
  UpstreamConn* conn_ = nullptr;
  Buffer out_;
  Buffer in_;
  http::HeadScanner scanner_;
  http::BodyDecoder body_;
  std::string replay_;  // the request sent over a kept connection, until answered
  State state_ = State::kIdle;
  bool head_request_ = false;
  bool got_bytes_ = false;  // the agent sent bytes on this connection
  bool keep_ = false;       // the response allows another request
};

}  // namespace nsmp::proxy
