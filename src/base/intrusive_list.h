// A doubly linked list threaded through its elements (one ListHook member per
// list an element can be on): O(1) insertion and removal, no allocation, and
// an element knows whether it is listed. The list does not own its elements.
// Used for a listener's sessions, the agent pool's idle connections, and the
// connections of the metadata server, the control socket and the metrics
// endpoint.
#pragma once

#include <cstddef>

namespace nsmp {

template <typename T>
struct ListHook {
  T* prev = nullptr;
  T* next = nullptr;
  bool linked = false;
};

template <typename T, ListHook<T> T::*kHook>
class IntrusiveList {
 public:
  IntrusiveList() = default;
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const { return head_ == nullptr; }
  size_t size() const { return size_; }
  T* front() const { return head_; }
  T* back() const { return tail_; }
  static T* next(const T* t) { return (t->*kHook).next; }
  static bool linked(const T* t) { return (t->*kHook).linked; }

  void pushFront(T* t) {
    ListHook<T>& h = t->*kHook;
    h.prev = nullptr;
    h.next = head_;
    if (head_) {
      (head_->*kHook).prev = t;
    } else {
      tail_ = t;
    }
    head_ = t;
    h.linked = true;
    ++size_;
  }
  void pushBack(T* t) {
    ListHook<T>& h = t->*kHook;
    h.next = nullptr;
    h.prev = tail_;
    if (tail_) {
      (tail_->*kHook).next = t;
    } else {
      head_ = t;
    }
    tail_ = t;
    h.linked = true;
    ++size_;
  }
  // REQUIRES: t is on this list.
  void remove(T* t) {
    ListHook<T>& h = t->*kHook;
    if (h.prev) {
      (h.prev->*kHook).next = h.next;
    } else {
      head_ = h.next;
    }
    if (h.next) {
      (h.next->*kHook).prev = h.prev;
    } else {
      tail_ = h.prev;
    }
    h = ListHook<T>{};
    --size_;
  }

  // Calls fn(t) for every element, front to back; fn may remove t (only t).
  template <typename Fn>
  void forEach(Fn fn) {
    for (T* t = head_; t;) {
      T* n = next(t);
      fn(t);
      t = n;
    }
  }

 private:
  T* head_ = nullptr;
  T* tail_ = nullptr;
  size_t size_ = 0;
};

}  // namespace nsmp
