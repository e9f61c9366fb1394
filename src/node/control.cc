#include "node/control.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "base/log.h"
#include "net/socket.h"

namespace nsmp::node {

struct ControlReply::Slot {
  ControlServer::Connection* connection;
  bool sent = false;
};

class ControlServer::Connection final : public event::IoHandler, public event::Deletable {
 public:
  Connection(ControlServer& server, net::Fd fd) : server_(server), fd_(std::move(fd)) {
    watcher_.fd = fd_.get();
    watcher_.handler = this;
  }

  bool start() { return server_.loop_.add(watcher_, EPOLLIN | EPOLLOUT | EPOLLRDHUP).ok(); }

  void onIo(event::Watcher&, uint32_t) override {
    if (!fd_.valid()) return;
    if (!closing_ && !waiting_) readLines();
    flush();
  }

  // The reply to the line in waiting: queued, and when it comes later than
  // the handler's return, the lines after it are read and answered now.
  void answered(std::string line) {
    waiting_.reset();  // later sends of the same reply find nothing
    out_ += line;
    out_ += '\n';
    if (in_handler_ || !fd_.valid()) return;
    answerLines();
    if (!closing_ && !waiting_) readLines();
    flush();
  }

  void close() {
    if (!fd_.valid()) return;
    waiting_.reset();
    watcher_.fd = -1;
    fd_.reset();
    server_.closed(this);
  }

  Connection* next = nullptr;
  Connection* prev = nullptr;

 private:
  void readLines() {
    char buf[16384];
    while (!waiting_ && !closing_) {
      ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        answerLines();
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      // End of requests: a last line without its newline still counts.
      closing_ = true;
      if (!in_.empty()) answer(std::move(in_));
      in_.clear();
    }
  }

  // Answers the complete lines buffered, up to one whose reply is awaited.
  void answerLines() {
    size_t start = 0;
    for (size_t nl; !waiting_ && (nl = in_.find('\n', start)) != std::string::npos;
         start = nl + 1) {
      std::string_view line(in_.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() > kMaxLine) return refuseLongLine();
      if (!line.empty()) answer(std::string(line));
    }
    in_.erase(0, start);
    if (!waiting_ && in_.size() > kMaxLine) refuseLongLine();
  }

  // Answers, then closes: what follows the line cannot be framed reliably.
  void refuseLongLine() {
    in_.clear();
    out_ += server_.too_long_;
    out_ += '\n';
    closing_ = true;
  }

  void answer(std::string line) {
    waiting_ = std::make_shared<ControlReply::Slot>(ControlReply::Slot{this, false});
    in_handler_ = true;
    server_.handler_(line, ControlReply(waiting_));
    in_handler_ = false;
  }

  void flush() {
    while (!out_.empty()) {
      ssize_t n = ::send(fd_.get(), out_.data(), out_.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;  // EPOLLOUT resumes
        return close();
      }
      out_.erase(0, static_cast<size_t>(n));
    }
    if (closing_ && !waiting_) close();
  }

  ControlServer& server_;
  net::Fd fd_;
  event::Watcher watcher_;
  std::string in_;
  std::string out_;
  bool closing_ = false;  // no more requests: close once the replies are out
  // Set while a request awaits its reply; the only owner of the slot the
  // ControlReply points to, so resetting it disarms that reply.
  std::shared_ptr<ControlReply::Slot> waiting_;
  bool in_handler_ = false;
};

void ControlReply::send(std::string line) const {
  auto slot = slot_.lock();
  if (!slot || std::exchange(slot->sent, true)) return;
  slot->connection->answered(std::move(line));
}

Result<std::unique_ptr<ControlServer>> ControlServer::open(event::Loop& loop,
                                                           const std::string& path, Handler handler,
                                                           std::string too_long) {
  if (net::connectUnix(path).ok()) {
    return Status(Code::kFailedPrecondition, "another node is serving the control socket " + path);
  }
  // Created 0600 from the start: no moment where others could connect.
  mode_t old_mask = ::umask(0177);
  Result<net::Fd> fd = net::listenUnix(path, 64);
  ::umask(old_mask);
  if (!fd)
    return Status(Code::kFailedPrecondition,
                  "control socket " + path + ": " + fd.status().message());
  std::unique_ptr<ControlServer> server(
      new ControlServer(loop, path, std::move(*fd), std::move(handler), std::move(too_long)));
  if (Status s = loop.add(server->watcher_, EPOLLIN); !s) {
    return Status(Code::kFailedPrecondition, "control socket " + path + ": " + s.message());
  }
  return server;
}

ControlServer::ControlServer(event::Loop& loop, std::string path, net::Fd fd, Handler handler,
                             std::string too_long)
    : loop_(loop),
      path_(std::move(path)),
      fd_(std::move(fd)),
      accept_retry_(loop, this),
      handler_(std::move(handler)),
      too_long_(std::move(too_long)) {
  watcher_.fd = fd_.get();
  watcher_.handler = this;
}

ControlServer::~ControlServer() {
  while (connections_) connections_->close();
  if (fd_.valid()) ::unlink(path_.c_str());
}

void ControlServer::onIo(event::Watcher&, uint32_t) { acceptAll(); }

void ControlServer::onTimer(event::Timer&) { acceptAll(); }

void ControlServer::acceptAll() {
  for (;;) {
    int fd = ::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN) {
        out_of_fds_ = false;
        return;
      }
      if (!std::exchange(out_of_fds_, true)) {
        log::warning("control socket accept: {}; retrying every 100 ms", std::strerror(errno));
      }
      accept_retry_.arm(event::Millis(100));
      return;
    }
    if (count_ >= kMaxConnections) {
      log::warning("control socket: {} connections open already; closing a new one",
                   kMaxConnections);
      ::close(fd);
      continue;
    }
    auto* c = new Connection(*this, net::Fd(fd));
    c->next = connections_;
    if (connections_) connections_->prev = c;
    connections_ = c;
    ++count_;
    if (!c->start()) c->close();
  }
}

void ControlServer::closed(Connection* c) {
  if (c->prev) {
    c->prev->next = c->next;
  } else {
    connections_ = c->next;
  }
  if (c->next) c->next->prev = c->prev;
  --count_;
  loop_.deferDelete(std::unique_ptr<event::Deletable>(c));
}

}  // namespace nsmp::node
