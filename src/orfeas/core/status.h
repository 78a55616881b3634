// Errors as values at module boundaries.
//
// Every function that can fail for reasons outside the programmer's control (bad input, I/O,
// limits) returns `Result<T>` or `Status`. Exceptions never cross a module boundary.
//
//   Result<ImageRgba8> decode(std::span<const uint8_t> bytes);
//
//   Status run() {
//     ORFEAS_ASSIGN_OR_RETURN(auto image, decode(bytes));
//     ORFEAS_RETURN_IF_ERROR_CTX(write(image), "while writing out.png");
//     ORFEAS_ASSIGN_OR_RETURN_CTX(auto mesh, load(path), "while reading " + path.string());
//     return ok();
//   }
//
// Thread-safety: values; no shared state.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace orfeas {

enum class ErrorCode {
  kInvalidArgument,    // the caller asked for something impossible (bad option value)
  kNotFound,           // a file or resource does not exist
  kIoError,            // the OS refused a read or write
  kUnsupportedFormat,  // recognised as not something we can read or write
  kCorruptData,        // looked like a known format but is broken (truncated, garbage)
  kLimitExceeded,      // input larger than the configured limits (decompression bombs)
  kNoForeground,       // the image holds nothing to reconstruct
  kOutOfMemory,        // a device or host allocation failed; the caller may retry smaller
  kUnavailable,        // a device, driver or library is not present on this machine
  kInternal,           // a bug or an unexpected library failure
  kCancelled,          // the caller (or a client of the service) stopped the work
  kDeadlineExceeded,   // the work did not finish in the time it was given
  kResourceExhausted,  // a queue or quota is full now; the caller may try again later
};

std::string_view error_code_name(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  [[nodiscard]] ErrorCode code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }

  // "context: message" — the outermost context first, as a reader wants it.
  [[nodiscard]] Error with_context(std::string_view context) const;

 private:
  ErrorCode code_;
  std::string message_;
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

[[nodiscard]] inline tl::unexpected<Error> make_error(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}
[[nodiscard]] inline Status ok() {
  return {};
}

// `result` with its error, if any, prefixed by `context`: for returning a call's result as it is.
//   return with_context(write(path), "while writing " + path.string());
template <class T>
[[nodiscard]] Result<T> with_context(Result<T> result, std::string_view context) {
  if (!result) return tl::unexpected(result.error().with_context(context));
  return result;
}

}  // namespace orfeas

#define ORFEAS_CONCAT_INNER_(a, b) a##b
#define ORFEAS_CONCAT_(a, b) ORFEAS_CONCAT_INNER_(a, b)

// Returns the error of a Status/Result expression from the enclosing function.
#define ORFEAS_RETURN_IF_ERROR(expr)                                    \
  do {                                                                  \
    auto&& orfeas_status_ = (expr);                                     \
    if (!orfeas_status_) return tl::unexpected(orfeas_status_.error()); \
  } while (false)

// Same, prefixing the message with a context string ("while decoding x.png").
#define ORFEAS_RETURN_IF_ERROR_CTX(expr, context)                                             \
  do {                                                                                        \
    auto&& orfeas_status_ = (expr);                                                           \
    if (!orfeas_status_) return tl::unexpected(orfeas_status_.error().with_context(context)); \
  } while (false)

// Declares `lhs` from a Result expression, or returns its error.
#define ORFEAS_ASSIGN_OR_RETURN(lhs, expr) \
  ORFEAS_ASSIGN_OR_RETURN_IMPL_(ORFEAS_CONCAT_(orfeas_result_, __LINE__), lhs, expr)
#define ORFEAS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)      \
  auto tmp = (expr);                                       \
  if (!tmp) return tl::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)

// Same, prefixing the error's message with a context string.
#define ORFEAS_ASSIGN_OR_RETURN_CTX(lhs, expr, context) \
  ORFEAS_ASSIGN_OR_RETURN_CTX_IMPL_(ORFEAS_CONCAT_(orfeas_result_, __LINE__), lhs, expr, context)
#define ORFEAS_ASSIGN_OR_RETURN_CTX_IMPL_(tmp, lhs, expr, context)               \
  auto tmp = (expr);                                                             \
  if (!tmp) return tl::unexpected(std::move(tmp).error().with_context(context)); \
  lhs = std::move(*tmp)
