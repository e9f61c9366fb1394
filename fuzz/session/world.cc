#include "fuzz/session/world.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "fuzz/session/streams.h"
#include "net/fd.h"
#include "net/socket.h"
#include "proxy/listener.h"

namespace nsmp::fuzz {
namespace {

event::TimePoint g_now;

// A directory of this process's own for the agent's socket.
const std::string& scratchDir() {
  static const std::string dir = [] {
    std::string d = "/tmp/nsmp-session-fuzz-" + std::to_string(::getpid());
    ::mkdir(d.c_str(), 0700);
    return d;
  }();
  return dir;
}

// Sends as much of `bytes` as the socket takes now; returns the bytes sent.
size_t sendSome(int fd, std::string_view bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // full, or the proxy has gone
    }
  }
  return sent;
}

// Reads what is there; false once the peer has closed (or reset).
bool readSome(int fd, Record& into) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      into.append({buf, static_cast<size_t>(n)});
    } else if (n == 0) {
      return false;
    } else if (errno == EINTR) {
      continue;
    } else {
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
  }
}

constexpr int kSendRounds = 512;  // bounds one send of many bytes

}  // namespace

event::TimePoint fakeNow() { return g_now; }

World::World(const Options& options) : options_(options) {
  g_now = event::TimePoint{} + std::chrono::hours(1);
  agent_path_ = scratchDir() + "/agent.sock";
  agentToggleListening();
  loop_ = std::make_unique<event::Loop>(&fakeNow);
  if (!loop_->init().ok()) std::abort();
  worker_ = std::make_unique<proxy::Worker>(*loop_);
  proxy::ListenerConfig c;
  c.uuid = kIdentity;
  c.identity = {proxy::IdentityKind::kNetwork, kIdentity};
  c.upstream_socket = agent_path_;
  c.maxconn = 64;
  c.maxconn_per_source = options.maxconn_per_source;
  c.max_body = options.max_body;
  c.upstream_keepalive = options.upstream_keepalive;
  if (options.rate_limit) {
    c.rate_limit.enabled = true;
    c.rate_limit.base_limit = 4;
    c.rate_limit.burst_limit = 6;
  }
  auto added = worker_->addListener(std::move(c), {});
  if (!added) std::abort();
  listener_ = *added;
  for (size_t k = 0; k < kClientSlots; ++k) clientOpen(k);
  settle();
}

World::~World() {
  worker_.reset();  // closes the sessions; their objects go with the loop
  loop_.reset();
  for (auto& c : all_clients_) {
    if (c->fd >= 0) ::close(c->fd);
  }
  for (auto& a : agents_) {
    if (a->fd >= 0) ::close(a->fd);
  }
  if (agent_listener_ >= 0) {
    ::close(agent_listener_);
    ::unlink(agent_path_.c_str());
  }
}

std::string World::addressText(size_t address) const {
  return "192.0.2." + std::to_string(address + 1);
}

void World::clientOpen(size_t k) {
  k %= kClientSlots;
  if (slots_[k] || stopped_) return;  // no accepts once shutting down
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) return;
  auto c = std::make_unique<ClientConn>();
  c->fd = pair[0];
  c->address = k % kAddresses;
  net::PeerAddress peer;
  peer.family = AF_INET;
  peer.port = static_cast<uint16_t>(40000 + all_clients_.size());
  const uint8_t ip[4] = {192, 0, 2, static_cast<uint8_t>(c->address + 1)};
  std::copy(ip, ip + 4, peer.bytes);
  slots_[k] = c.get();
  all_clients_.push_back(std::move(c));
  listener_->adopt(net::Fd(pair[1]), peer);
}

void World::clientSend(size_t k, std::string_view bytes) {
  ClientConn* c = slot(k);
  if (!c || c->shut_wr) return;
  for (int round = 0; round < kSendRounds && !bytes.empty(); ++round) {
    size_t n = sendSome(c->fd, bytes);
    c->sent.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
    if (bytes.empty()) break;
    // The socket is full: let the proxy read, and take what it answered so
    // it is never blocked writing to us meanwhile.
    settle();
    if (!readSome(c->fd, c->received)) c->eof = true;
    if (n == 0 && c->eof) break;
  }
  settle();
}

void World::clientShutWrite(size_t k) {
  ClientConn* c = slot(k);
  if (!c || c->shut_wr) return;
  ::shutdown(c->fd, SHUT_WR);
  c->shut_wr = true;
  settle();
}

void World::clientClose(size_t k) {
  ClientConn* c = slot(k);
  if (!c) return;
  if (!readSome(c->fd, c->received)) c->eof = true;
  ::close(c->fd);
  c->fd = -1;
  slots_[k % kClientSlots] = nullptr;
  settle();
}

void World::clientRead(size_t k) {
  ClientConn* c = slot(k);
  if (!c) return;
  if (!readSome(c->fd, c->received)) c->eof = true;
  settle();
}

bool World::acceptAgents() {
  bool any = false;
  while (agent_listener_ >= 0) {
    int fd = ::accept4(agent_listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) break;
    auto a = std::make_unique<AgentConn>();
    a->fd = fd;
    a->id = agents_.size();
    agents_.push_back(std::move(a));
    any = true;
  }
  return any;
}

void World::agentSend(size_t index, std::string_view bytes) {
  if (agents_.empty()) return;
  AgentConn& a = *agents_[index % agents_.size()];
  if (a.fd < 0) return;
  for (int round = 0; round < kSendRounds && !bytes.empty(); ++round) {
    size_t n = sendSome(a.fd, bytes);
    bytes.remove_prefix(n);
    if (bytes.empty()) break;
    settle();
    for (auto& c : all_clients_) {
      if (c->fd >= 0 && !readSome(c->fd, c->received)) c->eof = true;
    }
    if (n == 0 && a.eof) break;
  }
  settle();
}

void World::agentAnswer(size_t index, std::string_view status_line, std::string_view rest,
                        bool final_response) {
  if (agents_.empty()) return;
  AgentConn& a = *agents_[index % agents_.size()];
  if (a.fd < 0) return;
  if (!readSome(a.fd, a.received)) a.eof = true;
  const std::string marker = std::to_string(a.id) + "." + std::to_string(a.answers);
  AgentAnswer answer;
  std::vector<AgentRequest> requests = requestsReceived(a.received.view());
  if (a.answers < requests.size() && requests[a.answers].complete_head) {
    answer.known = true;
    answer.forwarded = requests[a.answers].forwarded;
    answer.request_line = requests[a.answers].request_line;
  }
  answers_.emplace_back(marker, std::move(answer));
  if (final_response) ++a.answers;
  std::string bytes(status_line);
  bytes += "\r\nX-Fuzz-Seq: " + marker + "\r\n";
  bytes += rest;
  agentSend(index, bytes);
}

const AgentAnswer* World::answer(std::string_view marker) const {
  for (const auto& [m, a] : answers_) {
    if (m == marker) return &a;
  }
  return nullptr;
}

void World::agentClose(size_t index) {
  if (agents_.empty()) return;
  AgentConn& a = *agents_[index % agents_.size()];
  if (a.fd < 0) return;
  if (!readSome(a.fd, a.received)) a.eof = true;
  ::close(a.fd);
  a.fd = -1;
  settle();
}

void World::agentShutWrite(size_t index) {
  if (agents_.empty()) return;
  AgentConn& a = *agents_[index % agents_.size()];
  if (a.fd >= 0) ::shutdown(a.fd, SHUT_WR);
  settle();
}

void World::agentRead(size_t index) {
  if (agents_.empty()) return;
  AgentConn& a = *agents_[index % agents_.size()];
  if (a.fd >= 0 && !readSome(a.fd, a.received)) a.eof = true;
  settle();
}

void World::agentToggleListening() {
  if (agent_listener_ >= 0) {
    ::close(agent_listener_);
    agent_listener_ = -1;
    ::unlink(agent_path_.c_str());
    return;
  }
  Result<net::Fd> fd = net::listenUnix(agent_path_, 64);
  if (!fd) std::abort();
  agent_listener_ = fd->release();
}

void World::advance(event::Millis by) {
  g_now += by;
  settle();
}

void World::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  worker_->beginShutdown(event::Millis(4000));
  settle();
}

void World::settle() {
  for (int i = 0; i < 256; ++i) {
    int n = loop_->turn(0);
    bool accepted = acceptAgents();
    if (n <= 0 && !accepted) break;
  }
}

size_t World::liveSessions() const { return listener_->sessionCount(); }

void World::finish() {
  if (agent_listener_ < 0) agentToggleListening();  // a retry finds the agent
  for (int round = 0; round < 24; ++round) {
    for (auto& c : all_clients_) {
      if (c->fd >= 0 && !c->eof && !readSome(c->fd, c->received)) c->eof = true;
    }
    for (auto& a : agents_) {
      if (a->fd >= 0 && !a->eof && !readSome(a->fd, a->received)) a->eof = true;
    }
    settle();
    advance(event::Millis(10'000));
  }
}

}  // namespace nsmp::fuzz
