// Process-wide engine state: the loop, the listeners and shutdown. Nothing a
// connection parses is kept here (each parse lives on the stack of the code
// that uses it).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "event/loop.h"
#include "proxy/config.h"
#include "proxy/listener.h"

namespace nsmp::proxy {

class Worker final : public event::TimerHandler, private Listener::Owner {
 public:
  explicit Worker(event::Loop& loop);
  ~Worker();

  event::Loop& loop() { return loop_; }

  // Takes listening sockets already bound for config.binds (binding happens
  // before privileges are dropped, possibly inside another namespace).
  Result<Listener*> addListener(ListenerConfig config, std::vector<net::Fd> sockets);
  void removeListener(Listener* listener);
  // Stops `listener` accepting at once (its port is free again) and lets its
  // sessions finish; it is freed when the last one has closed.
  void retireListener(Listener* listener);
  const std::vector<std::unique_ptr<Listener>>& listeners() const { return listeners_; }

  // Stops accepting everywhere and lets in-flight requests finish; stops the
  // loop when none is left or after `grace`.
  void beginShutdown(Millis grace);
  bool shuttingDown() const { return shutting_down_; }
  void logCounters() const;

  void onTimer(event::Timer& t) override;

 private:
  void listenerDrained(Listener* listener) override;
  void maybeFinishShutdown();
  void discard(Listener* listener);  // deferred deletion, after this loop turn

  event::Loop& loop_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  event::Timer grace_timer_;
  bool shutting_down_ = false;
};

}  // namespace nsmp::proxy
