// One non-blocking stream socket served by the event loop -- the one
// transport of every connection in the binary: a VM's and the agent's
// connections in the proxy, the metadata server's, the node's control
// socket's. It owns the fd and its watcher, remembers what edge-triggered
// epoll said about the receive side, reads into and flushes from Buffers
// (whose limits bound what a peer can make us hold), half-closes, and does
// the lingering close that keeps a last reply from being destroyed by a RST.
//
// Edge-triggered: a side stays readable() until a read finds nothing (EAGAIN),
// or a short read has drained it (new data raises a new edge; after a
// hang-up reading goes on to EOF).
#pragma once

#include <cstdint>

#include "base/buffer.h"
#include "base/result.h"
#include "event/loop.h"
#include "net/fd.h"

namespace nsmp::net {

class Stream {
 public:
  // EPOLLOUT interest: kAlways (a TCP socket: an edge only when room comes
  // back), or kWhenBlocked (a UNIX socket, which raises an EPOLLOUT edge each
  // time the peer reads: asked for only while a send is blocked).
  enum class Out : uint8_t { kAlways, kWhenBlocked };

  Stream(event::Loop& loop, event::IoHandler* handler) : loop_(loop) { watcher_.handler = handler; }
  ~Stream() { close(); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Takes `fd` and watches it. The first read is tried at once (data often
  // arrives with a connection).
  Status open(Fd fd, Out out);
  // Events now go to `handler` (a kept agent connection changes hands).
  void setHandler(event::IoHandler* handler) { watcher_.handler = handler; }
  bool isOpen() const { return watcher_.fd >= 0; }
  int fd() const { return watcher_.fd; }
  bool owns(const event::Watcher& w) const { return &w == &watcher_; }

  // Records what epoll reported; the handler calls it first in onIo().
  void onEvents(uint32_t events);
  // Asks for this stream's handler to run later in this loop turn.
  void wake() { loop_.activate(watcher_, EPOLLIN); }

  bool readable() const { return readable_ && !eof_; }
  bool hungUp() const { return hup_; }
  bool eof() const { return eof_; }  // no more bytes will come (closed or reset)
  // Reads while the socket has bytes and `into` has room. Returns the bytes
  // read; eof() tells whether the peer closed.
  size_t read(Buffer& into);
  // Reads on to EOF after a hang-up even when a read comes back short.
  void readToEofOnHangUp() { to_eof_on_hup_ = true; }

  enum class Flush : uint8_t {
    kDone,     // `from` is empty
    kBlocked,  // the socket is full; an EPOLLOUT edge will come
    kFailed,   // the peer is gone (EPIPE, ECONNRESET...): `from` is left as it was
  };
  // Sends what `from` holds; returns the bytes sent in *sent if asked.
  Flush flush(Buffer& from, size_t* sent = nullptr);

  void shutdownWrite();
  bool wroteEof() const { return shut_wr_; }
  // After the last reply, half-closed: reads and drops what the peer still
  // sends; true once it has closed. Closing with unread input would make the
  // kernel send RST, which can destroy the reply before the peer reads it.
  bool drainToEof();
  // Closes now (safe twice); events already queued for the fd are ignored.
  void close();

 private:
  event::Loop& loop_;
  event::Watcher watcher_;
  Out out_ = Out::kAlways;
  bool readable_ = false;
  bool hup_ = false;
  bool eof_ = false;
  bool to_eof_on_hup_ = false;
  bool out_interest_ = false;  // kWhenBlocked: EPOLLOUT is in the registration
  bool shut_wr_ = false;
};

}  // namespace nsmp::net
