#include "base/result.h"

#include <cstring>

namespace nsmp {

std::string_view codeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kNotFound:
      return "not_found";
    case Code::kAlreadyExists:
      return "already_exists";
    case Code::kPermissionDenied:
      return "permission_denied";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kResourceExhausted:
      return "resource_exhausted";
    case Code::kFailedPrecondition:
      return "failed_precondition";
    case Code::kIo:
      return "io";
    case Code::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string_view errnoText(int err) {
  // strerrordesc_np: the message alone, thread-safe, no locale, no buffer.
  const char* text = ::strerrordesc_np(err);
  return text ? text : "Unknown error";
}

namespace {

Code codeFor(int err) {
  switch (err) {
    case ENOENT:
    case ESRCH:
    case ENODEV:
    case ENXIO:
      return Code::kNotFound;
    case EEXIST:
    case EADDRINUSE:
      return Code::kAlreadyExists;
    case EACCES:
    case EPERM:
    case EROFS:
      return Code::kPermissionDenied;
    case ECONNREFUSED:
    case ECONNRESET:
    case EAGAIN:
    case ETIMEDOUT:
    case EADDRNOTAVAIL:
      return Code::kUnavailable;
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case ENOBUFS:
    case ENOSPC:
      return Code::kResourceExhausted;
    case EINVAL:
    case ENAMETOOLONG:
    case ENOTDIR:
    case EISDIR:
      return Code::kInvalidArgument;
    default:
      return Code::kIo;
  }
}

}  // namespace

Status Status::fromErrno(std::string_view what, int err) {
  std::string message(what);
  message += ": ";
  message += errnoText(err);
  Status s(codeFor(err), std::move(message));
  s.errno_ = err;
  return s;
}

Status Status::withContext(std::string_view context) const {
  if (ok()) return *this;
  Status s = *this;
  s.message_ = std::string(context) + ": " + message_;
  return s;
}

}  // namespace nsmp
