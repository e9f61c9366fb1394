// Start-up steps (privileges, pidfile, daemonize) fail with a sentence for a
// person -- the path or name involved and what to do -- not with a fixed code:
// the process prints it and exits. They run once, before the event loop, so
// an allocated message costs nothing that matters. The data path keeps using
// base/result.h.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace nsmp::daemon {

struct StartupError {
  std::string message;
};

template <typename T>
class [[nodiscard]] StartupResult {
 public:
  StartupResult(T value) : v_(std::move(value)) {}             // NOLINT: implicit by design
  StartupResult(StartupError error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  // REQUIRES: !ok()
  const std::string& error() const { return std::get<1>(v_).message; }

 private:
  std::variant<T, StartupError> v_;
};

class [[nodiscard]] StartupStatus {
 public:
  StartupStatus() = default;                                               // ok
  StartupStatus(StartupError error) : error_(std::move(error.message)) {}  // NOLINT
  bool ok() const { return error_.empty(); }
  explicit operator bool() const { return ok(); }
  const std::string& error() const { return error_; }

 private:
  std::string error_;  // empty: ok (every failure has a non-empty message)
};

}  // namespace nsmp::daemon
