#include "node/opener.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <string>
#include <utility>

#include "base/log.h"
#include "node/helper_protocol.h"

namespace nsmp::node {
namespace {

class HelperOpener final : public SocketOpener, public event::IoHandler {
 public:
  HelperOpener(event::Loop& loop, HelperProcess helper)
      : loop_(loop), channel_(std::move(helper.channel)), pid_(helper.pid) {
    watcher_.fd = channel_.get();
    watcher_.handler = this;
  }

  ~HelperOpener() override {
    if (watcher_.fd >= 0) loop_.remove(watcher_);
    channel_.reset();  // the helper reads the end and exits
    reap();
  }

  Status start() {
    int flags = ::fcntl(channel_.get(), F_GETFL);
    if (flags < 0 || ::fcntl(channel_.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
      return Status::fromErrno("socket helper channel");
    }
    return loop_.add(watcher_, EPOLLIN | EPOLLRDHUP);
  }

  void open(const proxy::ListenerConfig& config, Done done) override {
    if (config.binds.size() > kMaxBinds) {
      return done(Status(Code::kFailedPrecondition,
                         "at most " + std::to_string(kMaxBinds) + " addresses per listener"));
    }
    std::string request = encodeRequest(config);
    if (request.size() > kMaxMessage) {
      return done(Status(Code::kFailedPrecondition, "the listener's addresses are too long"));
    }
    if (!gone_.empty()) return done(Status(Code::kUnavailable, gone_));
    queue_.push_back({std::move(request), config.binds.size(), std::move(done)});
    sendNext();
  }

  void onIo(event::Watcher&, uint32_t) override {
    for (;;) {
      Message reply = receiveMessage(channel_.get());
      if (reply.kind == Message::Kind::kAgain) return;
      if (reply.kind != Message::Kind::kMessage) {
        return helperGone(reply.kind == Message::Kind::kEnd ? "it exited"
                                                            : std::string(errnoText(reply.error)));
      }
      if (!in_flight_) continue;  // nothing was asked: not an answer to anything
      Request answered = std::move(queue_.front());
      queue_.pop_front();
      in_flight_ = false;
      answered.done(read(std::move(reply), answered.binds));  // may queue more
      sendNext();
    }
  }

 private:
  struct Request {
    std::string bytes;
    size_t binds;
    Done done;
  };

  static Opened read(Message reply, size_t binds) {
    if (reply.truncated) return Status(Code::kFailedPrecondition, "socket helper: reply too long");
    if (reply.bytes == "1") {
      if (reply.fds.size() != binds) {
        return Status(Code::kFailedPrecondition,
                      "socket helper returned " + std::to_string(reply.fds.size()) +
                          " sockets for " + std::to_string(binds) + " addresses");
      }
      return std::move(reply.fds);
    }
    if (reply.bytes.size() > 1 && reply.bytes[0] == '0') {
      return Status(Code::kFailedPrecondition, reply.bytes.substr(1));
    }
    return Status(Code::kFailedPrecondition, "socket helper: unreadable reply");
  }

  void sendNext() {
    if (in_flight_ || queue_.empty() || !gone_.empty()) return;
    if (!sendMessage(channel_.get(), queue_.front().bytes, {})) {
      return helperGone(std::string(errnoText(errno)));
    }
    in_flight_ = true;
  }

  // Every request waiting now, and every later one, fails with the reason.
  void helperGone(const std::string& why) {
    gone_ = "socket helper is gone (" + why +
            "): listeners can no longer be opened in a namespace; restart the node";
    log::error("{}", gone_);
    loop_.remove(watcher_);
    watcher_.fd = -1;
    in_flight_ = false;
    std::deque<Request> failed = std::move(queue_);
    queue_.clear();
    for (Request& r : failed) r.done(Status(Code::kUnavailable, gone_));
  }

  // The helper exits as soon as it reads the end of the channel, unless it
  // is stuck: then it is not waited for (it dies with the node).
  void reap() {
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) != 0) return;
      timespec pause{0, 10'000'000};
      ::nanosleep(&pause, nullptr);
    }
  }

  event::Loop& loop_;
  net::Fd channel_;
  pid_t pid_;
  event::Watcher watcher_;
  std::deque<Request> queue_;  // front: the request in flight, if in_flight_
  bool in_flight_ = false;
  std::string gone_;  // non-empty once the helper is gone: why
};

}  // namespace

Result<std::unique_ptr<SocketOpener>> helperOpener(event::Loop& loop, HelperProcess helper) {
  auto opener = std::make_unique<HelperOpener>(loop, std::move(helper));
  if (Status s = opener->start(); !s) return s;
  return std::unique_ptr<SocketOpener>(std::move(opener));
}

}  // namespace nsmp::node
