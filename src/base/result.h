// Error handling for the data path: no exceptions. A function that can fail
// returns Status or Result<T>; the error carries a closed code and a short,
// fixed detail string (never allocated) that names the cause in logs.
// errno becomes a Status in exactly one place: Status::fromErrno().
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace nsmp {

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  static Status error(const char* detail, int err = 0) { return Status(detail, err); }
  // `what` names the operation ("connect", "bind"); errno is captured now.
  static Status fromErrno(const char* what) { return Status(what, errno); }

  bool ok() const { return detail_ == nullptr; }
  explicit operator bool() const { return ok(); }
  const char* detail() const { return detail_ ? detail_ : "ok"; }
  int sysError() const { return errno_; }
  // "connect: Connection refused" -- for people, not for the hot path.
  std::string message() const {
    std::string m = detail();
    if (errno_ != 0) {
      m += ": ";
      m += std::strerror(errno_);
    }
    return m;
  }

 private:
  Status(const char* detail, int err) : detail_(detail), errno_(err) {}
  const char* detail_ = nullptr;  // static storage; nullptr means ok
  int errno_ = 0;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(status) {}      // NOLINT: must not be ok
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  Status status() const { return ok() ? Status() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace nsmp
