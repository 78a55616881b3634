#include "orfeas/core/status.h"

namespace orfeas {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kIoError:
      return "I/O error";
    case ErrorCode::kUnsupportedFormat:
      return "unsupported format";
    case ErrorCode::kCorruptData:
      return "corrupt data";
    case ErrorCode::kLimitExceeded:
      return "limit exceeded";
    case ErrorCode::kNoForeground:
      return "no foreground";
    case ErrorCode::kOutOfMemory:
      return "out of memory";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInternal:
      return "internal error";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kDeadlineExceeded:
      return "deadline exceeded";
    case ErrorCode::kResourceExhausted:
      return "resource exhausted";
  }
  return "unknown error";
}

Error Error::with_context(std::string_view context) const {
  std::string message;
  message.reserve(context.size() + 2 + message_.size());
  message.append(context).append(": ").append(message_);
  return Error(code_, std::move(message));
}

}  // namespace orfeas
