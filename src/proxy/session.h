// One client connection and the requests it carries, one at a time. The
// mechanics are in two halves -- ClientSide on the VM's connection (reads
// requests, writes responses) and UpstreamSide on the agent's (writes the
// request, reads the response) -- and this class holds the policy between
// them: the identity the agent is told, the rate limit, what is refused and
// with which reply, keep-alive on both sides, the timeouts, the access log.
//
// Life of a request:
//   ClientSide reads a head -> onRequestHead: the session writes the agent's
//   head (identity, X-Forwarded-For) into UpstreamSide's buffer and connects
//   (a chunked body is read whole first, then sent with its length);
//   body bytes flow client -> upstream as the agent's buffer has room;
//   UpstreamSide reads the response head -> onResponseHead: the session
//   writes the VM's head (framing chosen for the VM); body bytes flow
//   upstream -> client as the VM's buffer has room; when the response is
//   complete and flushed, the access line is logged and the connection is
//   kept for the next request or closed (lingering close).
// A local reply (400, 408, 413, 429, 502, 503, 504...) replaces the response
// and ends the connection, but for a 429 to a request without a body.
#pragma once

#include <cstdint>

#include "base/buffer.h"
#include "base/intrusive_list.h"
#include "event/loop.h"
#include "http/body_decoder.h"
#include "http/reply.h"
#include "http/response.h"
#include "net/address.h"
#include "net/fd.h"
#include "proxy/client_side.h"
#include "proxy/session_context.h"
#include "proxy/upstream_side.h"

namespace nsmp::proxy {

class Session final : public event::TimerHandler,
                      public event::Deletable,
                      private ClientSide::Events,
                      private UpstreamSide::Events {
 public:
  // `counted_source`: counted against its address's --maxconn_per_source
  // (the owner uncounts it when it closes).
  Session(const SessionContext& context, SessionOwner& owner, const net::PeerAddress& peer,
          bool counted_source);
  ~Session() override;

  // Starts serving `client`; with a reply other than kNone, answers it and
  // closes (over the per-source limit).
  void start(net::Fd client, http::Reply refuse = http::Reply::kNone);
  // Shutdown: close now if idle between requests, else after this response.
  void drain();
  // Closes both connections now; the owner defers the object's deletion.
  void close();

  const net::PeerAddress& peer() const { return peer_; }
  bool countedSource() const { return counted_source_; }

  void onTimer(event::Timer& t) override;

  ListHook<Session> hook;  // the listener's list of sessions

 private:
  // What the session's one timer waits for (Neutron's haproxy timeouts).
  enum class Wait : uint8_t {
    kNone,
    kRequest,    // timeout http-request: a whole head, counted from its first byte
    kKeepAlive,  // timeout http-keep-alive: the next request's first byte
    kRetry,      // the pause between connection attempts to the agent
    kServer,     // timeout server: the agent's next byte
    kClient,     // timeout client: the VM's next body byte, or its reading
    kLinger,     // the lingering close after the last reply
  };

  // ClientSide::Events
  void onRequestStarted() override;
  void onRequestHead(const http::RequestHead& head) override;
  size_t requestBodyRoom() override;
  void onRequestBody(std::string_view data) override;
  void onRequestDone() override;
  void onRequestRefused(http::Reply reply) override;
  void onClientGone(const char* why) override;
  void onClientDrained() override;
  void onClientClosed() override;
  void afterClientIo() override;
  // UpstreamSide::Events
  void onInterimResponse(const http::HeadFields& head) override;
  bool onResponseHead(const http::HeadFields& head) override;
  size_t responseBodyRoom() override;
  void onResponseBody(std::string_view data) override;
  void onResponseDone(bool reusable) override;
  void onUpstreamRefused(http::Reply reply) override;
  void onUpstreamAborted(const char* why) override;
  void onUpstreamStale() override;
  void onRequestAbandoned() override;
  void onUpstreamDrained() override;
  void afterUpstreamIo() override;

  void connectUpstream();
  void reply(http::Reply r);
  void abort(const char* why);
  void finishRequest();
  void resetRequest();
  void updateTimer();
  void wait(Wait w);
  void logAccess(int status, const char* reason);

  const SessionContext& ctx_;
  SessionOwner& owner_;
  event::Timer timer_;
  net::PeerAddress peer_;
  ClientSide client_;
  UpstreamSide upstream_;
  Buffer chunked_body_;  // a chunked request body, decoded, until it is whole

  // The request in flight.
  event::TimePoint request_start_{};
  http::ClientFraming client_framing_;
  http::BodyFraming request_body_ = http::BodyFraming::kNone;
  uint8_t client_minor_ = 1;
  uint8_t attempts_ = 0;
  bool head_request_ = false;
  bool expect_answered_ = false;  // the proxy sent its own 100 Continue
  bool upstream_keep_ = false;    // the agent's head asks it to keep the connection
  bool may_reuse_ = false;        // a kept connection may carry this request
  bool keep_alive_ = false;       // the VM may send another request after this one
  bool request_done_ = false;     // the whole request went to UpstreamSide (or was abandoned)
  bool body_abandoned_ = false;   // the agent stopped reading: the body is no longer read
  bool response_started_ = false;
  bool response_done_ = false;
  int response_status_ = 0;
  const char* reason_ = "-";  // fixed word of a local reply, or why a response broke off

  Wait waiting_ = Wait::kNone;
  bool draining_ = false;
  bool counted_source_ = false;
  bool closed_ = false;
};

}  // namespace nsmp::proxy
