// The one error vocabulary of the project. A function that can fail returns
// Status, or Result<T> (a T or a Status). No exceptions on the data path, no
// error strings passed out through pointers, no "empty means success".
//
// A Status carries a closed Code (what kind of failure, for the code that
// decides what to do), a message for people (what failed and why, e.g.
// "connect /run/agent.sock: Connection refused"), and the errno it came from,
// if any. errno becomes a Status in exactly one place: Status::fromErrno().
#pragma once

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace nsmp {

enum class Code : uint8_t {
  kOk = 0,
  kInvalidArgument,     // the input (an option, a file, a request) is wrong
  kNotFound,            // a file, namespace, user... does not exist
  kAlreadyExists,       // the name, address or uuid is taken
  kPermissionDenied,    // not allowed to
  kUnavailable,         // a peer is not there now; trying again may work
  kResourceExhausted,   // out of descriptors, memory or room
  kFailedPrecondition,  // the system is not in a state that allows it
  kIo,                  // any other system error
  kInternal,            // a bug
};

// The name of a code, for logs: "not_found".
std::string_view codeName(Code code);

// The text of an errno value ("Connection refused"); never allocates.
std::string_view errnoText(int err);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  // `what` names the operation and its object ("connect /run/x.sock"); the
  // code follows from `err`. The only place errno becomes a Status.
  static Status fromErrno(std::string_view what, int err = errno);

  bool ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return ok(); }
  Code code() const { return code_; }
  int sysError() const { return errno_; }
  // For people: "connect /run/x.sock: Connection refused". Empty when ok.
  const std::string& message() const { return message_; }
  // The same status with `context` before its message ("netns qdhcp-1: ...").
  Status withContext(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  int errno_ = 0;
  std::string message_;
};

// The most common failure: the input (an option, a config line, a request) is
// wrong; `message` says what and how to fix it.
inline Status invalidArgument(std::string message) {
  return Status(Code::kInvalidArgument, std::move(message));
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  // REQUIRES: !status.ok()
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // Ok when there is a value. Moved out of an rvalue (`return std::move(r).status();`
  // passes a failure on without copying its message).
  Status status() const& { return ok() ? Status() : std::get<1>(v_); }
  Status status() && { return ok() ? Status() : std::move(std::get<1>(v_)); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace nsmp
