#include "node/control.h"

#include <unistd.h>

#include <utility>

#include "base/buffer.h"
#include "base/log.h"
#include "net/socket.h"
#include "net/stream.h"

namespace nsmp::node {

struct ControlReply::Slot {
  ControlServer::Connection* connection;
  bool sent = false;
};

class ControlServer::Connection final : public event::IoHandler,
                                        public event::Deletable,
                                        public ControlServer::Listed {
 public:
  explicit Connection(ControlServer& server)
      : server_(server), stream_(server.loop_, this), in_(kMaxLine + 2), out_(kOutLimit) {}

  Status start(net::Fd fd) {
    // A UNIX socket: EPOLLOUT only while a reply is blocked.
    if (Status s = stream_.open(std::move(fd), net::Stream::Out::kWhenBlocked); !s) return s;
    stream_.wake();  // the request often arrives with the connection
    return {};
  }

  void onIo(event::Watcher&, uint32_t events) override {
    if (closed_) return;
    stream_.onEvents(events);
    if (!closing_ && !waiting_) readLines();
    flush();
  }

  // The reply to the line in waiting: queued, and when it comes later than
  // the handler's return, the lines after it are read and answered now.
  void answered(std::string line) {
    waiting_.reset();  // later sends of the same reply find nothing
    line += '\n';
    queue(line);
    if (in_handler_ || closed_) return;
    answerLines();
    if (!closing_ && !waiting_) readLines();
    flush();
  }

  void close() {
    if (std::exchange(closed_, true)) return;
    waiting_.reset();
    stream_.close();
    in_.release();
    out_.release();
    server_.closed(this);
  }

 private:
  // The output buffer's usual limit; a reply is queued whole (queue()).
  static constexpr size_t kOutLimit = size_t{64} * 1024;

  void readLines() {
    while (!waiting_ && !closing_) {
      if (stream_.read(in_) > 0) {
        answerLines();
        continue;
      }
      if (!stream_.eof()) return;  // nothing more for now, or in_ holds a line in waiting
      // End of requests: a last line without its newline still counts.
      closing_ = true;
      std::string last(in_.view());
      in_.clear();
      if (!last.empty()) answer(last);
    }
  }

  // Answers the complete lines buffered, up to one whose reply is awaited.
  void answerLines() {
    while (!waiting_ && !closing_) {
      std::string_view rest = in_.view();
      size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) break;
      std::string_view line = rest.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() > kMaxLine) return refuseLongLine();
      std::string request(line);
      in_.consume(nl + 1);
      if (!request.empty()) answer(request);
    }
    if (!waiting_ && !closing_ && in_.size() > kMaxLine) refuseLongLine();
  }

  // Answers, then closes: what follows the line cannot be framed reliably.
  void refuseLongLine() {
    in_.clear();
    queue(server_.too_long_ + '\n');
    closing_ = true;
  }

  void answer(const std::string& line) {
    waiting_ = std::make_shared<ControlReply::Slot>(ControlReply::Slot{this, false});
    in_handler_ = true;
    server_.handler_(line, ControlReply(waiting_));
    in_handler_ = false;
  }

  // A reply is ours, not the peer's: queued whole, the limit growing for it.
  void queue(std::string_view bytes) { out_.appendWhole(bytes); }

  // A UNIX socket: input left unread at close() does not destroy the
  // replies the peer has yet to read, so no lingering close is needed.
  void flush() {
    if (closed_) return;
    switch (stream_.flush(out_)) {
      case net::Stream::Flush::kBlocked:
        return;  // EPOLLOUT resumes
      case net::Stream::Flush::kFailed:
        return close();
      case net::Stream::Flush::kDone:
        out_.release();
        out_.setLimit(kOutLimit);
        break;
    }
    if (closing_ && !waiting_) close();
  }

  ControlServer& server_;
  net::Stream stream_;
  Buffer in_;             // a longest line and its CRLF
  Buffer out_;            // replies not yet written
  bool closing_ = false;  // no more requests: close once the replies are out
  bool closed_ = false;
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
  // Created 0600 from the start: no moment where others could connect.
  Result<net::Fd> fd = net::listenUnix(path, 64, 0600);
  if (!fd && fd.status().code() == Code::kAlreadyExists) {
    return Status(Code::kFailedPrecondition, "another node is serving the control socket " + path);
  }
  if (!fd)
    return Status(Code::kFailedPrecondition,
                  "control socket " + path + ": " + fd.status().message());
  std::unique_ptr<ControlServer> server(
      new ControlServer(loop, path, std::move(handler), std::move(too_long)));
  if (Status s = server->acceptor_.add(std::move(*fd)); !s) {
    return Status(Code::kFailedPrecondition, "control socket " + path + ": " + s.message());
  }
  return server;
}

ControlServer::ControlServer(event::Loop& loop, std::string path, Handler handler,
                             std::string too_long)
    : loop_(loop),
      path_(std::move(path)),
      handler_(std::move(handler)),
      too_long_(std::move(too_long)),
      acceptor_(loop, *this, static_cast<uint32_t>(kMaxConnections)) {}

ControlServer::~ControlServer() {
  acceptor_.stop();  // a connection closing below must not accept another
  while (!connections_.empty()) static_cast<Connection*>(connections_.front())->close();
  ::unlink(path_.c_str());
}

void ControlServer::onAccept(net::Fd fd, const net::PeerAddress&) {
  auto* c = new Connection(*this);
  connections_.pushBack(c);
  if (Status s = c->start(std::move(fd)); !s) {
    log::warning("control socket {}: {}", path_, s.message());
    c->close();
  }
}

void ControlServer::closed(Connection* c) {
  connections_.remove(c);
  loop_.deferDelete(std::unique_ptr<event::Deletable>(c));
  acceptor_.childClosed();
}

}  // namespace nsmp::node
