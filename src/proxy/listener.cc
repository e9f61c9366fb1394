#include "proxy/listener.h"

namespace nsmp::proxy {

Listener::Listener(event::Loop& loop, Owner& owner, ListenerConfig config)
    : loop_(loop),
      owner_(owner),
      config_(std::move(config)),
      rate_limiter_(config_.rate_limit.enabled ? std::make_unique<RateLimiter>(config_.rate_limit)
                                               : nullptr),
      sources_(config_.maxconn_per_source),
      upstreams_(loop, config_),
      context_{loop,
               config_,
               {http::identityInfo(config_.identity.kind).header, config_.identity.value},
               counters_,
               upstreams_,
               rate_limiter_.get()},
      acceptor_(loop, *this, config_.maxconn) {}

Listener::~Listener() {
  draining_ = false;
  sessions_.forEach([](Session* s) { s->close(); });  // each unlinks itself
}

Status Listener::start(std::vector<net::Fd> sockets) {
  for (net::Fd& fd : sockets) {
    if (Status s = acceptor_.add(std::move(fd)); !s) return s;
  }
  return {};
}

void Listener::stopAccepting() { acceptor_.stop(); }

void Listener::drainSessions() {
  draining_ = true;
  upstreams_.closeIdle();
  sessions_.forEach([](Session* s) { s->drain(); });  // may unlink s
}

void Listener::retire() {
  retiring_ = true;
  stopAccepting();
  drainSessions();
}

void Listener::onAccept(net::Fd fd, const net::PeerAddress& peer) {
  ++counters_.accepted;
  ++counters_.active;
  const bool counted = sources_.tryOpen(peer);
  auto* session = new Session(context_, *this, peer, counted);
  sessions_.pushFront(session);
  session->start(std::move(fd), counted ? http::Reply::kNone : http::Reply::kTooManyConnections);
}

void Listener::adopt(net::Fd client, const net::PeerAddress& peer) {
  acceptor_.adopt(std::move(client), peer);
}

void Listener::sessionClosed(Session* s) {
  sessions_.remove(s);
  --counters_.active;
  if (s->countedSource()) sources_.close(s->peer());
  loop_.deferDelete(std::unique_ptr<event::Deletable>(s));
  acceptor_.childClosed();  // resumes accepting below maxconn
  if (draining_ && counters_.active == 0) owner_.listenerDrained(this);
}

}  // namespace nsmp::proxy
