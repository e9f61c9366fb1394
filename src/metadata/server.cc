#include "metadata/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/log.h"
#include "metadata/connection.h"
#include "net/address.h"
#include "net/socket.h"

namespace nsmp::metadata {

Server::Server(event::Loop& loop, MetadataService& service, DataFileWatcher* watcher,
               ServerConfig config)
    : loop_(loop),
      service_(service),
      watcher_(watcher),
      config_(std::move(config)),
      pollTimer_(loop, this),
      graceTimer_(loop, this) {}

Server::~Server() {
  connections_.clear();
  closeListener();
}

Status Server::start() {
  int backlog = static_cast<int>(std::max<size_t>(config_.maxConnections, 128));
  if (config_.front == Front::kNova) {
    net::ListenSpec spec = config_.tcp;
    spec.backlog = backlog;
    Result<net::Fd> fd = net::listenTcp(spec);
    if (!fd) return fd.status();
    listenFd_ = std::move(*fd);
  } else {
    // net::listenUnix() replaces a stale socket file; a live one belongs to a
    // running server, which must not lose its socket to a second one.
    if (Result<net::Fd> probe = net::connectUnix(config_.socketPath); probe.ok())
      return Status(Code::kAlreadyExists, "another server is listening on the socket");
    Result<net::Fd> fd = net::listenUnix(config_.socketPath, backlog);
    if (!fd) return fd.status();
    listenFd_ = std::move(*fd);
    boundSocket_ = true;
    if (config_.socketMode && ::chmod(config_.socketPath.c_str(), *config_.socketMode) != 0)
      return Status::fromErrno("chmod");
  }
  listenWatcher_.fd = listenFd_.get();
  listenWatcher_.handler = this;
  if (Status s = loop_.add(listenWatcher_, EPOLLIN); !s) return s;
  if (watcher_) pollTimer_.arm(config_.pollInterval);
  return {};
}

std::string Server::address() const {
  if (config_.front == Front::kAgent) return config_.socketPath;
  return listenFd_.valid() ? net::localAddress(listenFd_.get()) : std::string("-");
}

Response Server::answer(const Request& request) {
  if (config_.front == Front::kNova) return service_.handleSigned(request, config_.sharedSecret);
  return service_.handle(request);
}

void Server::onIo(event::Watcher&, uint32_t) { acceptAll(); }

void Server::acceptAll() {
  // At maxConnections the rest waits in the kernel backlog; release() comes
  // back here when a connection closes (edge-triggered: no new event would).
  while (listenFd_.valid() && connections_.size() < config_.maxConnections) {
    int fd = ::accept4(listenFd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        log::warning("metadata server: accept: {} (retrying when a connection closes)",
                     std::strerror(errno));
      return;
    }
    auto connection = std::make_unique<Connection>(*this, net::Fd(fd));
    Connection* raw = connection.get();
    connections_.emplace(raw, std::move(connection));
    if (Status s = raw->start(); !s) {
      log::warning("metadata server: {}", s.message());
      raw->close();
    }
  }
}

void Server::release(Connection* connection) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  loop_.deferDelete(std::move(it->second));
  connections_.erase(it);
  if (shuttingDown_) {
    if (connections_.empty()) drained();
  } else {
    acceptAll();
  }
}

void Server::onTimer(event::Timer& timer) {
  if (&timer == &pollTimer_) {
    pollDataFile();
    if (!shuttingDown_) pollTimer_.arm(config_.pollInterval);
    return;
  }
  // Grace period over: whatever is still open is cut.
  std::vector<Connection*> open;
  for (auto& [raw, owned] : connections_) open.push_back(raw);
  if (!open.empty())
    log::warning("metadata server: closing {} connections at the end of the grace period",
                 open.size());
  for (Connection* c : open) c->close();
  drained();
}

void Server::pollDataFile() {
  DataFileWatcher::Polled result = watcher_->poll();
  switch (result.change) {
    case DataFileWatcher::Change::kUnchanged:
      break;
    case DataFileWatcher::Change::kReloaded:
      service_.setData(result.data);
      log::info("metadata server: reloaded {}: {} instances, {} routers", watcher_->path(),
                result.data->instances.size(), result.data->routers.size());
      break;
    case DataFileWatcher::Change::kRejected:
      log::error("metadata server: not reloading: {} (still serving the previous data)",
                 result.rejected.message());
      break;
    case DataFileWatcher::Change::kMissing:
      log::warning("metadata server: {} is gone; still serving the previous data",
                   watcher_->path());
      break;
  }
}

void Server::beginShutdown(event::Millis grace) {
  if (shuttingDown_) return;
  shuttingDown_ = true;
  closeListener();
  pollTimer_.cancel();
  std::vector<Connection*> open;
  for (auto& [raw, owned] : connections_) open.push_back(raw);
  for (Connection* c : open) c->closeWhenIdle();  // may release() and erase
  if (connections_.empty()) {
    drained();
  } else {
    graceTimer_.arm(grace);
  }
}

void Server::drained() {
  if (drained_) return;  // closing the last connections may report it again
  drained_ = true;
  graceTimer_.cancel();
  if (onDrained_) {
    onDrained_();
  } else {
    loop_.stop();
  }
}

void Server::closeListener() {
  if (listenFd_.valid()) {
    loop_.remove(listenWatcher_);
    listenWatcher_.fd = -1;
    listenFd_.reset();
  }
  if (boundSocket_) {
    ::unlink(config_.socketPath.c_str());
    boundSocket_ = false;
  }
}

}  // namespace nsmp::metadata
