// One client connection of the metadata server (server.h): reads requests,
// answers them in order (pipelining allowed, keep-alive unless the client
// says "Connection: close" or speaks HTTP/1.0 without keep-alive), closes on
// any framing error after a 4xx. The socket is a net::Stream: its reads,
// flushes and lingering close are the proxy's. Never deletes itself: it asks
// the Server to release it, which defers the deletion past the current loop
// turn.
#pragma once

#include <string_view>

#include "base/buffer.h"
#include "base/intrusive_list.h"
#include "event/loop.h"
#include "http/body_decoder.h"
#include "http/head_scanner.h"
#include "http/reply.h"
#include "metadata/message.h"
#include "net/fd.h"
#include "net/stream.h"

namespace nsmp::metadata {

class Server;

class Connection final : public event::IoHandler,
                         public event::TimerHandler,
                         public event::Deletable,
                         private http::BodySink {
 public:
  explicit Connection(Server& server);
  ~Connection() override;

  Status start(net::Fd fd);
  void onIo(event::Watcher& w, uint32_t events) override;
  // Reads, answers and writes as far as the socket allows.
  void onTimer(event::Timer& t) override;
  // Shutdown: close now if between requests (or lingering after the last
  // answer), else after the current answer.
  void closeWhenIdle();
  void close();  // idempotent

  ListHook<Connection> hook;  // the server's list of connections

 private:
  enum class Phase : uint8_t {
    kHead,     // waiting for (the rest of) a request head
    kBody,     // head parsed, reading the body
    kClosing,  // the last answer is queued; once written: FIN, then input dropped until EOF
    kClosed,
  };

  enum class Stop : uint8_t { kNeedInput, kBlockedOnOutput };
  enum class TimerKind : uint8_t { kNone, kIdle, kRequest, kWrite };

  void drive();
  bool readSome();  // true when it stopped because in_ is at its limit
  Stop process();
  bool startRequest();  // false: the head is incomplete, or an error reply was queued
  void finishRequest();
  void replyError(int status, const char* reason, bool close = true);
  void replyHttpError(http::Reply reply);
  void queue(std::string_view bytes);
  void flushOutput();
  void linger();
  void rearmTimer();
  void logAccess(const Response& response);
  void onBodyData(std::string_view data) override;

  Server& server_;
  net::Stream stream_;
  event::Timer timer_;
  Phase phase_ = Phase::kHead;
  Buffer in_;           // limit: the largest request (head limits + maxBody + framing)
  Buffer out_;          // answers not yet written
  bool wrote_ = false;  // output progressed since the write timer was armed
  TimerKind timerKind_ = TimerKind::kNone;
  bool closeWhenIdle_ = false;
  bool timingRequest_ = false;  // the request timer runs (armed at the first byte)

  http::HeadScanner scanner_;
  http::BodyDecoder body_;
  Request request_;
  bool keepAlive_ = true;
  bool http10_ = false;
  bool headOnly_ = false;
  event::TimePoint started_{};
};

}  // namespace nsmp::metadata
