// The server's own HTTP vocabulary: what a handler receives and returns. Nothing here names the
// HTTP library (Boost.Beast) the server adapter uses, so the rest of the service never sees it.
//
//   Response get_job(const Request& request, const PathParams& params) {
//     if (request.query.count("verbose") != 0) ...;
//     return json_error(404, "not_found", "no job " + params.at("id"));
//   }
//
// Thread-safety: values; no shared state.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "orfeas/core/status.h"

namespace orfeas::serve {

enum class Method { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kOther };

// "GET", "HEAD", ...; "OTHER" for kOther.
[[nodiscard]] std::string_view method_name(Method method);
// The method for its name (case-sensitive, as HTTP says); kOther for any other token.
[[nodiscard]] Method parse_method(std::string_view name);

// Header fields in arrival order; names compare case-insensitively, as HTTP says.
class Headers {
 public:
  // Replaces every field named `name` by one with `value`.
  void set(std::string_view name, std::string value);
  // Appends a field (a repeated field such as Set-Cookie).
  void add(std::string name, std::string value);
  // The first field named `name`, if any.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
  [[nodiscard]] bool contains(std::string_view name) const { return get(name).has_value(); }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Query parameters, percent-decoded ('+' is a space); a repeated name keeps its last value.
using QueryParams = std::map<std::string, std::string, std::less<>>;

struct Request {
  Method method = Method::kGet;
  std::string method_text;  // as sent, for kOther
  std::string path;         // the target before '?', still percent-encoded (the router decodes segments)
  QueryParams query;
  Headers headers;
  std::string body;  // bytes, at most the server's max_body_bytes
};

struct Response {
  int status = 200;
  Headers headers;  // Content-Type and Content-Length are set by the server from the fields below
  std::string content_type = "application/json";
  std::string body;
};

// A JSON response: `body` must already be JSON text.
[[nodiscard]] Response json_response(int status, std::string body);
// `{"error": {"code": code, "message": message}}` with `status`; every error the server answers
// looks like this.
[[nodiscard]] Response json_error(int status, std::string_view code, std::string_view message);

// ASCII lower case (header names, tokens and parameter names compare case-insensitively).
[[nodiscard]] std::string ascii_lower(std::string_view text);
// Without the optional whitespace (spaces and tabs) HTTP allows around header values and parameters.
[[nodiscard]] std::string_view trim_whitespace(std::string_view text);

// "%41+b" → "A b" with `plus_is_space`; kInvalidArgument for a broken escape ("%4", "%zz").
[[nodiscard]] Result<std::string> percent_decode(std::string_view text, bool plus_is_space);
// "a=1&b=x%20y&flag" → {a: 1, b: "x y", flag: ""}; kInvalidArgument for a broken escape.
[[nodiscard]] Result<QueryParams> parse_query(std::string_view query);

}  // namespace orfeas::serve
