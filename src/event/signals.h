// Signals delivered through a signalfd, so that SIGTERM, SIGINT, SIGHUP and
// SIGUSR1 are ordinary events on the loop instead of async handlers.
#pragma once

#include <functional>

#include "event/loop.h"

namespace nsmp::event {

class Signals final : public IoHandler {
 public:
  using Callback = std::function<void(int signo)>;
  explicit Signals(Loop& loop) : loop_(loop) {}
  ~Signals();

  // Blocks the given signals for the process and watches them. Also ignores
  // SIGPIPE: a peer that goes away is reported by write(2) as EPIPE.
  Status watch(std::initializer_list<int> signos, Callback cb);

  void onIo(Watcher& w, uint32_t events) override;

 private:
  Loop& loop_;
  Watcher watcher_;
  Callback cb_;
};

}  // namespace nsmp::event
