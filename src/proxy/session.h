// One client connection and the requests it carries, one at a time: the head
// is read and checked, a UNIX connection to the metadata agent (fresh, or a
// kept one, see upstream_pool.h) carries the rewritten request, and the
// response is relayed back re-framed. Pipelined
// requests wait in the client buffer until the response before them is sent,
// so answers leave in order and memory stays bounded.
//
// Buffers (each allocated only while in use, each with a hard cap):
//   client_in_    bytes from the VM: a head (<= kMaxHead) or body bytes
//   upstream_out_ the rewritten head and re-framed body for the agent
//   upstream_in_  bytes from the agent
//   client_out_   the re-framed response for the VM
// When a buffer is full its producer stops reading; edge-triggered readiness
// is remembered in Inbound::readable so reading resumes when room appears.
#pragma once

#include <string>

#include "base/buffer.h"
#include "event/loop.h"
#include "http/body_decoder.h"
#include "http/head_scanner.h"
#include "http/request.h"
#include "http/response.h"
#include "net/address.h"
#include "net/fd.h"
#include "proxy/upstream_pool.h"

namespace nsmp::proxy {

class Listener;

class Session final : public event::IoHandler, public event::TimerHandler, public event::Deletable {
 public:
  // `counted_source`: the listener counted this connection against its
  // source address's limit (and uncounts it when it closes).
  Session(Listener& listener, net::Fd client, const net::PeerAddress& peer, bool counted_source);
  ~Session() override;

  // Starts serving; with a reply other than kNone, answers it and closes.
  void start(http::Reply refuse = http::Reply::kNone);
  // Shutdown: close now if idle between requests, else after this response.
  void drain();
  // Closes both connections now; the object is deleted after this loop turn.
  void close();

  void onIo(event::Watcher& w, uint32_t events) override;
  void onTimer(event::Timer& t) override;

  const net::PeerAddress& peer() const { return peer_; }
  bool countedSource() const { return counted_source_; }

  Session* next_ = nullptr;  // Listener's intrusive list
  Session* prev_ = nullptr;

 private:
  enum class Phase : uint8_t {
    kHead,        // waiting for (the rest of) a request head
    kBody,        // reading a chunked request body whole, before the agent is asked
    kConnecting,  // between upstream connection attempts
    kExchange,    // request body up, response down
    kClosing,     // flushing a last reply, then lingering close
    kClosed,
  };
  // What is known about one side's receive direction.
  struct Inbound {
    bool readable = false;  // may have bytes: recv() until EAGAIN
    bool hup = false;       // epoll reported a hang-up: read on to EOF
    bool eof = false;       // no more bytes will come
  };
  enum class Wait : uint8_t { kNone, kKeepAlive, kRequest, kRetry, kServer, kClient, kLinger };

  // Sinks that re-frame decoded body bytes into the outgoing buffers.
  struct RequestBodySink final : http::BodySink {
    Session* s;
    void onBodyData(std::string_view d) override;
  };
  struct ResponseBodySink final : http::BodySink {
    Session* s;
    void onBodyData(std::string_view d) override;
  };

  void pump();
  void setPhase(Phase p);
  void stepHead();
  void stepBody();
  void stepExchange();
  void stepClosing();
  bool readSide(int fd, Buffer& buf, size_t limit, Inbound& side, bool to_eof_on_hup);
  bool readClient(size_t limit);
  void rememberRequestLine(std::string_view head);
  void onHead(const http::RequestHead& head);
  void connectUpstream();
  void pumpRequestBody();
  bool flushUpstream();
  void readUpstream();
  void processResponse();
  bool onResponseHead(const http::ResponseHead& head);
  void completeResponse();
  bool flushClient();
  void finishRequest();
  void resetRequest();
  void localReply(http::Reply r);
  void startClosing();
  void abort(const char* why);
  void closeUpstream();
  void releaseUpstream(bool reusable);
  bool retryStale();
  int upstreamFd() const { return upstream_ ? upstream_->fd() : -1; }
  void wait(Wait w);
  void rearmExchangeTimer();
  void logAccess(int status, const char* reason);

  Listener& listener_;
  event::Loop& loop_;
  event::Watcher client_;
  UpstreamConn* upstream_ = nullptr;
  event::Timer timer_;
  net::PeerAddress peer_;

  Buffer client_in_, upstream_out_, upstream_in_, client_out_;
  Buffer chunked_body_;  // a chunked request body, decoded, until it is whole
  http::HeadScanner scanner_;
  http::BodyDecoder request_body_decoder_;
  http::BodyDecoder response_body_decoder_;
  RequestBodySink request_sink_;
  ResponseBodySink response_sink_;

  // The request in flight.
  std::string request_line_;  // for the access log
  std::string replay_;        // the head sent over a kept connection, until answered
  event::TimePoint request_start_{};
  uint64_t body_bytes_ = 0;
  uint64_t response_bytes_ = 0;
  http::ClientFraming client_framing_;
  http::BodyFraming request_body_ = http::BodyFraming::kNone;
  uint8_t client_minor_ = 1;
  uint8_t attempts_ = 0;
  bool head_request_ = false;
  bool expect_answered_ = false;  // the proxy sent its own 100 Continue
  bool upstream_keep_ = false;    // the head asks the agent to keep the connection
  bool may_reuse_ = false;        // a kept connection may carry this request
  bool upstream_got_ = false;     // the agent sent bytes on this connection
  bool keep_alive_ = false;
  bool request_done_ = false;  // whole request body handed to upstream_out_
  bool response_started_ = false;
  bool response_done_ = false;
  bool upstream_says_keep_ = false;  // the agent's response allows another request
  int response_status_ = 0;
  const char* reply_reason_ = "-";  // fixed word of a local reply
  uint64_t moved_ = 0;              // bumped whenever bytes move or the phase changes

  Phase phase_ = Phase::kHead;
  Wait waiting_ = Wait::kNone;
  Inbound client_rx_;
  Inbound upstream_rx_;
  bool draining_ = false;
  bool shut_wr_ = false;
  bool counted_source_ = false;
};

}  // namespace nsmp::proxy
