#include "event/loop.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace nsmp::event {

struct Timer::List {
  Millis duration;
  Timer* head = nullptr;
  Timer* tail = nullptr;
};

void Timer::arm(Millis after) {
  cancel();
  List* list = loop_->listFor(after);
  deadline_ = loop_->now() + after;
  prev_ = list->tail;
  next_ = nullptr;
  if (list->tail) {
    list->tail->next_ = this;
  } else {
    list->head = this;
  }
  list->tail = this;
  list_ = list;
}

void Timer::cancel() {
  if (!list_) return;
  if (prev_) {
    prev_->next_ = next_;
  } else {
    list_->head = next_;
  }
  if (next_) {
    next_->prev_ = prev_;
  } else {
    list_->tail = prev_;
  }
  prev_ = next_ = nullptr;
  list_ = nullptr;
}

Loop::Loop(ClockFn clock) : clock_(clock), now_(clock()) {}

Loop::~Loop() {
  destroyDoomed();
  if (epfd_ >= 0) ::close(epfd_);
}

Status Loop::init() {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return Status::fromErrno("epoll_create1");
  return {};
}

Status Loop::add(Watcher& w, uint32_t events) {
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.ptr = &w;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, w.fd, &ev) != 0) return Status::fromErrno("epoll_ctl add");
  return {};
}

Status Loop::modify(Watcher& w, uint32_t events) {
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.ptr = &w;
  if (::epoll_ctl(epfd_, EPOLL_CTL_MOD, w.fd, &ev) != 0) return Status::fromErrno("epoll_ctl mod");
  return {};
}

void Loop::remove(Watcher& w) {
  if (w.fd >= 0) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, w.fd, nullptr);
}

void Loop::deferDelete(std::unique_ptr<Deletable> object) { doomed_.push_back(std::move(object)); }

void Loop::activate(Watcher& w, uint32_t events) {
  if (w.activated == 0) activated_.push_back(&w);
  w.activated |= events;
}

void Loop::deactivate(Watcher& w) {
  if (w.activated == 0) return;
  w.activated = 0;
  for (Watcher*& a : activated_) {
    if (a == &w) a = nullptr;
  }
}

// Handlers may activate further watchers (each other): they run in the same
// turn, up to a bound that keeps one connection from starving the rest (the
// next turn then does not wait).
void Loop::runActivated() {
  constexpr size_t kMaxPerTurn = 4096;
  size_t i = 0;
  for (; i < activated_.size() && i < kMaxPerTurn; ++i) {
    Watcher* w = activated_[i];
    if (!w) continue;
    uint32_t events = w->activated;
    w->activated = 0;
    activated_[i] = nullptr;
    if (w->fd >= 0 && w->handler && events != 0) w->handler->onIo(*w, events);
  }
  activated_.erase(activated_.begin(), activated_.begin() + static_cast<std::ptrdiff_t>(i));
}

// A destructor may defer more deletions (a listener closing its idle agent
// connections): they join the next batch instead of the vector being cleared.
void Loop::destroyDoomed() {
  while (!doomed_.empty()) {
    std::vector<std::unique_ptr<Deletable>> batch = std::move(doomed_);
    doomed_.clear();
    batch.clear();
  }
}

Timer::List* Loop::listFor(Millis duration) {
  for (auto& l : timer_lists_) {
    if (l->duration == duration) return l.get();
  }
  timer_lists_.push_back(std::make_unique<Timer::List>());
  timer_lists_.back()->duration = duration;
  return timer_lists_.back().get();
}

int Loop::nextTimeoutMs() const {
  if (!doomed_.empty() || !activated_.empty()) return 0;
  bool any = false;
  TimePoint first{};
  for (const auto& l : timer_lists_) {
    if (l->head && (!any || l->head->deadline_ < first)) {
      first = l->head->deadline_;
      any = true;
    }
  }
  if (!any) return -1;
  auto wait = std::chrono::ceil<Millis>(first - clock_()).count();
  return static_cast<int>(std::clamp<int64_t>(wait, 0, 60'000));
}

void Loop::expireTimers() {
  // A callback may arm or cancel any timer, including others in the same list,
  // so always re-read the head instead of walking saved pointers.
  for (size_t i = 0; i < timer_lists_.size(); ++i) {
    Timer::List* l = timer_lists_[i].get();
    while (l->head && l->head->deadline_ <= now_) {
      Timer* t = l->head;
      t->cancel();
      t->handler_->onTimer(*t);
    }
  }
}

void Loop::run() {
  running_ = true;
  while (running_ || !doomed_.empty()) {
    if (turn(running_ ? nextTimeoutMs() : 0) < 0) break;
  }
}

int Loop::turn(int max_wait_ms) {
  constexpr int kBatch = 256;
  epoll_event events[kBatch];
  int n = ::epoll_wait(epfd_, events, kBatch, max_wait_ms);
  now_ = clock_();
  if (n < 0 && errno != EINTR) return -1;
  for (int i = 0; i < n; ++i) {
    auto* w = static_cast<Watcher*>(events[i].data.ptr);
    if (w->fd >= 0 && w->handler) w->handler->onIo(*w, events[i].events);
  }
  runActivated();
  expireTimers();
  runActivated();
  destroyDoomed();
  for (auto& hook : hooks_) hook();
  return n < 0 ? 0 : n;
}

}  // namespace nsmp::event
