#include "metadata/server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/log.h"
#include "net/socket.h"

namespace nsmp::metadata {

Server::Server(event::Loop& loop, MetadataService& service, DataFileWatcher* watcher,
               ServerConfig config)
    : loop_(loop),
      service_(service),
      watcher_(watcher),
      config_(std::move(config)),
      acceptor_(loop, *this, static_cast<uint32_t>(config_.maxConnections)),
      pollTimer_(loop, this),
      graceTimer_(loop, this) {}

Server::~Server() {
  closeListener();
  // Deleted now, not released: nothing may call back into a server going away.
  connections_.forEach([this](Connection* c) {
    connections_.remove(c);
    delete c;
  });
}

Status Server::start() {
  int backlog = static_cast<int>(std::max<size_t>(config_.maxConnections, 128));
  net::Fd socket;
  if (config_.front == Front::kNova) {
    net::ListenSpec spec = config_.tcp;
    spec.backlog = backlog;
    Result<net::Fd> fd = net::listenTcp(spec);
    if (!fd) return fd.status();
    socket = std::move(*fd);
  } else {
    // A live socket belongs to a running server, which must not lose it to a
    // second one (net::listenUnix refuses it; a stale file is replaced).
    Result<net::Fd> fd = net::listenUnix(config_.socketPath, backlog, config_.socketMode);
    if (!fd && fd.status().code() == Code::kAlreadyExists)
      return Status(Code::kAlreadyExists, "another server is listening on the socket");
    if (!fd) return fd.status();
    socket = std::move(*fd);
    boundSocket_ = true;
  }
  if (Status s = acceptor_.add(std::move(socket)); !s) return s;
  if (watcher_) pollTimer_.arm(config_.pollInterval);
  return {};
}

std::string Server::address() const {
  if (config_.front == Front::kAgent) return config_.socketPath;
  return acceptor_.accepting() ? acceptor_.describe() : std::string("-");
}

Response Server::answer(const Request& request) {
  if (config_.front == Front::kNova) return service_.handleSigned(request, config_.sharedSecret);
  return service_.handle(request);
}

void Server::onAccept(net::Fd fd, const net::PeerAddress&) {
  auto* connection = new Connection(*this);
  connections_.pushBack(connection);
  if (Status s = connection->start(std::move(fd)); !s) {
    log::warning("metadata server: {}", s.message());
    connection->close();
  }
}

void Server::release(Connection* connection) {
  if (!IntrusiveList<Connection, &Connection::hook>::linked(connection)) return;
  connections_.remove(connection);
  loop_.deferDelete(std::unique_ptr<event::Deletable>(connection));
  acceptor_.childClosed();  // below maxConnections again: accepts what waits in the backlog
  if (shuttingDown_ && connections_.empty()) drained();
}

void Server::onTimer(event::Timer& timer) {
  if (&timer == &pollTimer_) {
    pollDataFile();
    if (!shuttingDown_) pollTimer_.arm(config_.pollInterval);
    return;
  }
  // Grace period over: whatever is still open is cut.
  if (!connections_.empty())
    log::warning("metadata server: closing {} connections at the end of the grace period",
                 connections_.size());
  connections_.forEach([](Connection* c) { c->close(); });  // each releases itself
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
  connections_.forEach([](Connection* c) { c->closeWhenIdle(); });  // may release() c
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
  acceptor_.stop();
  if (boundSocket_) {
    ::unlink(config_.socketPath.c_str());
    boundSocket_ = false;
  }
}

}  // namespace nsmp::metadata
