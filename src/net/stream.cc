#include "net/stream.h"

#include <sys/socket.h>

namespace nsmp::net {

namespace {
constexpr uint32_t kIn = EPOLLIN | EPOLLRDHUP;
constexpr size_t kReadSize = 4096;  // the least room a read asks for
}  // namespace

Status Stream::open(Fd fd, Out out) {
  close();
  out_ = out;
  readable_ = true;
  hup_ = eof_ = shut_wr_ = out_interest_ = false;
  watcher_.fd = fd.release();
  uint32_t events = out == Out::kAlways ? (kIn | EPOLLOUT) : kIn;
  if (Status s = loop_.add(watcher_, events); !s) {
    close();
    return s;
  }
  return {};
}

void Stream::onEvents(uint32_t events) {
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) readable_ = true;
  if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) hup_ = true;
}

size_t Stream::read(Buffer& into) {
  size_t total = 0;
  while (isOpen() && readable_ && !eof_) {
    size_t room = into.prepare(kReadSize);
    if (room == 0) break;
    ssize_t n = ::recv(watcher_.fd, into.tail(), room, 0);
    if (n > 0) {
      into.commit(static_cast<size_t>(n));
      total += static_cast<size_t>(n);
      if (static_cast<size_t>(n) < room && !(hup_ && to_eof_on_hup_)) readable_ = false;
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      eof_ = true;  // closed, or reset: nothing more will come
    } else if (errno != EINTR) {
      readable_ = false;
    }
  }
  return total;
}

Stream::Flush Stream::flush(Buffer& from, size_t* sent) {
  size_t total = 0;
  Flush result = Flush::kDone;
  while (!from.empty()) {
    if (!isOpen()) {
      result = Flush::kFailed;
      break;
    }
    ssize_t n = ::send(watcher_.fd, from.data(), from.size(), MSG_NOSIGNAL);
    if (n > 0) {
      from.consume(static_cast<size_t>(n));
      total += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (out_ == Out::kWhenBlocked && !out_interest_) {
        out_interest_ = true;
        (void)loop_.modify(watcher_, kIn | EPOLLOUT);
      }
      result = Flush::kBlocked;
      break;
    } else {
      result = Flush::kFailed;
      break;
    }
  }
  if (sent) *sent = total;
  return result;
}

void Stream::shutdownWrite() {
  if (!isOpen() || shut_wr_) return;
  ::shutdown(watcher_.fd, SHUT_WR);
  shut_wr_ = true;
}

bool Stream::drainToEof() {
  char sink[4096];
  while (isOpen() && readable_ && !eof_) {
    ssize_t n = ::recv(watcher_.fd, sink, sizeof sink, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      eof_ = true;
    } else if (n < 0 && errno != EINTR) {
      readable_ = false;
    }
  }
  return eof_;
}

void Stream::close() {
  if (watcher_.fd < 0) return;
  loop_.deactivate(watcher_);
  ::close(watcher_.fd);  // also leaves the epoll set
  watcher_.fd = -1;
}

}  // namespace nsmp::net
