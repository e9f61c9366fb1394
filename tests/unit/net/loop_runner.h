// Runs an event loop in short turns until a condition holds (bounded: a
// broken condition fails the test instead of hanging it).
#pragma once

#include <functional>

#include "event/loop.h"

namespace nsmp::net::testing {

class LoopRunner final : public event::TimerHandler {
 public:
  explicit LoopRunner(event::Loop& loop) : loop_(loop), timer_(loop, this) {}

  // Runs turns of 5 ms until `done` (at most 2 s); returns done().
  bool runUntil(const std::function<bool()>& done) {
    for (int turns = 0; turns < 400 && !done(); ++turns) runFor(event::Millis(5));
    return done();
  }
  void runFor(event::Millis time) {
    timer_.arm(time);
    loop_.run();
  }
  void onTimer(event::Timer&) override { loop_.stop(); }

 private:
  event::Loop& loop_;
  event::Timer timer_;
};

}  // namespace nsmp::net::testing
