// The event loop: one epoll instance, intrusive timers, deferred deletion.
// Single-threaded by design: every callback runs on the thread that called
// run(), so nothing here locks.
//
// Contract for watchers: the loop calls Watcher::handler->onIo(watcher, events)
// for edge-triggered readiness. A handler must tolerate spurious calls (an
// event queued for an fd it has since closed and replaced), and must never
// delete itself inside a callback: hand ownership to deferDelete() instead.
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "base/result.h"

namespace nsmp::event {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Millis = std::chrono::milliseconds;

class Loop;
struct Watcher;

class IoHandler {
 public:
  virtual void onIo(Watcher& watcher, uint32_t events) = 0;

 protected:
  ~IoHandler() = default;
};

// One registered fd. Lives inside its owner (a session, a listener) so that the
// pointer epoll hands back stays valid until the owner is deferred-deleted.
struct Watcher {
  int fd = -1;
  IoHandler* handler = nullptr;
  uint32_t activated = 0;  // events queued by Loop::activate() for this turn
};

class Timer;
class TimerHandler {
 public:
  virtual void onTimer(Timer& timer) = 0;

 protected:
  ~TimerHandler() = default;
};

// A one-shot timer. Timers with the same duration expire in the order they
// were armed, so each duration keeps a FIFO list and arming or cancelling is
// O(1) -- the proxy arms and re-arms a timer on nearly every I/O event.
class Timer {
 public:
  Timer(Loop& loop, TimerHandler* handler) : loop_(&loop), handler_(handler) {}
  ~Timer() { cancel(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void arm(Millis after);
  void cancel();
  bool armed() const { return list_ != nullptr; }
  TimePoint deadline() const { return deadline_; }

 private:
  friend class Loop;
  struct List;
  Loop* loop_;
  TimerHandler* handler_;
  List* list_ = nullptr;
  Timer* prev_ = nullptr;
  Timer* next_ = nullptr;
  TimePoint deadline_{};
};

class Deletable {
 public:
  virtual ~Deletable() = default;
};

class Loop {
 public:
  // Where the loop reads the time. Tests and fuzzers pass their own clock to
  // make timeouts happen without waiting; the daemon uses the real one.
  using ClockFn = TimePoint (*)();

  explicit Loop(ClockFn clock = &Clock::now);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  Status init();  // creates the epoll instance

  // Registers the fd edge-triggered for `events` (EPOLLET is added).
  Status add(Watcher& w, uint32_t events);
  Status modify(Watcher& w, uint32_t events);
  void remove(Watcher& w);  // before closing an fd that may be shared (dup)

  void run();  // until stop() and no deferred work
  void stop() { running_ = false; }
  // One turn: waits at most `max_wait_ms` (0: not at all; -1: until an event)
  // for events, handles them, expires timers, destroys deferred objects, runs
  // the turn hooks. Returns the number of events, -1 if epoll failed. run()
  // is turns until stop(), each waiting until the next timer is due.
  int turn(int max_wait_ms);
  bool running() const { return running_; }

  // The time of the current loop turn; cheap to read, refreshed after every wait.
  TimePoint now() const { return now_; }

  // Destroys `object` after the current batch of events has been handled.
  void deferDelete(std::unique_ptr<Deletable> object);

  // Calls w.handler->onIo(w, events) later in this turn, after the events
  // epoll reported, as if epoll had reported `events` too. One side of a
  // session wakes the other this way instead of calling into it from inside
  // its own callback. Repeated activations before the call merge.
  void activate(Watcher& w, uint32_t events);
  // Forgets a pending activation: before a watcher is destroyed or reused.
  void deactivate(Watcher& w);

  // Called once at the end of every loop turn (log flushing, accept resume).
  void addTurnHook(std::function<void()> hook) { hooks_.push_back(std::move(hook)); }

 private:
  friend class Timer;
  Timer::List* listFor(Millis duration);
  int nextTimeoutMs() const;
  void expireTimers();
  void destroyDoomed();
  void runActivated();

  ClockFn clock_;
  int epfd_ = -1;
  bool running_ = false;
  TimePoint now_;
  std::vector<std::unique_ptr<Timer::List>> timer_lists_;
  std::vector<std::unique_ptr<Deletable>> doomed_;
  std::vector<Watcher*> activated_;
  std::vector<std::function<void()>> hooks_;
};

}  // namespace nsmp::event
