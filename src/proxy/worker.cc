#include "proxy/worker.h"

#include <algorithm>
#include <iterator>

#include "base/log.h"

namespace nsmp::proxy {

Worker::Worker(event::Loop& loop) : loop_(loop), grace_timer_(loop, this) {}

Worker::~Worker() = default;

Result<Listener*> Worker::addListener(ListenerConfig config, std::vector<net::Fd> sockets) {
  Listener::Owner& owner = *this;
  auto listener = std::make_unique<Listener>(loop_, owner, std::move(config));
  if (Status s = listener->start(std::move(sockets)); !s) return s;
  listeners_.push_back(std::move(listener));
  return listeners_.back().get();
}

void Worker::removeListener(Listener* listener) {
  std::erase_if(listeners_, [&](const auto& l) { return l.get() == listener; });
}

void Worker::retireListener(Listener* listener) {
  listener->retire();
  if (listener->sessionCount() == 0) discard(listener);
}

void Worker::listenerDrained(Listener* listener) {
  if (listener->retiring()) discard(listener);
  maybeFinishShutdown();
}

void Worker::discard(Listener* listener) {
  auto it = std::find_if(listeners_.begin(), listeners_.end(),
                         [&](const auto& l) { return l.get() == listener; });
  if (it == listeners_.end()) return;
  std::unique_ptr<event::Deletable> doomed = std::move(*it);
  listeners_.erase(it);
  loop_.deferDelete(std::move(doomed));
}

void Worker::beginShutdown(Millis grace) {
  if (shutting_down_) return;
  shutting_down_ = true;
  // Draining may close sessions and so discard retiring listeners: walk a copy.
  std::vector<Listener*> all;
  for (auto& l : listeners_) all.push_back(l.get());
  for (Listener* l : all) {
    l->stopAccepting();
    l->drainSessions();
  }
  grace_timer_.arm(grace);
  maybeFinishShutdown();
}

void Worker::maybeFinishShutdown() {
  if (!shutting_down_) return;
  for (auto& l : listeners_) {
    if (l->sessionCount() > 0) return;
  }
  grace_timer_.cancel();
  loop_.stop();
}

void Worker::onTimer(event::Timer&) {
  size_t left = 0;
  for (auto& l : listeners_) left += l->sessionCount();
  log::warning("shutdown grace period over: closing {} connection(s) still open", left);
  loop_.stop();
}

void Worker::logCounters() const {
  for (const auto& l : listeners_) {
    const Counters& c = l->counters();
    std::string replies;
    c.forEachLocalReply([&replies](std::string_view reason, uint64_t n) {
      fmt::format_to(std::back_inserter(replies), " {}={}", reason, n);
    });
    log::info(
        "counters {}: accepted={} active={} requests={} 2xx={} 3xx={} 4xx={} 5xx={} "
        "bytes_out={} upstream_connect_failures={} upstream_opened={} upstream_reused={} "
        "local_replies:{}",
        l->config().uuid, c.accepted, c.active, c.requests, c.responses_by_class[2],
        c.responses_by_class[3], c.responses_by_class[4], c.responses_by_class[5],
        c.bytes_to_client, c.upstream_connect_failures, l->upstreams().stats().opened,
        l->upstreams().stats().reused, replies.empty() ? " none" : replies);
  }
}

}  // namespace nsmp::proxy
