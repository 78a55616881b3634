#include "orfeas/serve/multipart.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

namespace orfeas::serve {
namespace {

constexpr std::size_t kMaxBoundaryLength = 70;  // RFC 2046 §5.1.1
constexpr std::string_view kCrlf = "\r\n";

Error invalid(std::string message) {
  return Error(ErrorCode::kInvalidArgument, "multipart body: " + std::move(message));
}

// A header value with parameters: `form-data; name="a b"; filename=x.png` → the first token
// (lowercased) and the parameters (names lowercased, quoted strings unquoted).
struct ParameterizedValue {
  std::string token;
  std::map<std::string, std::string, std::less<>> params;
};

Result<ParameterizedValue> parse_parameterized(std::string_view value) {
  ParameterizedValue out;
  const std::size_t semicolon = value.find(';');
  out.token = ascii_lower(trim_whitespace(value.substr(0, semicolon)));
  std::string_view rest = semicolon == std::string_view::npos ? std::string_view() : value.substr(semicolon + 1);
  while (true) {
    rest = trim_whitespace(rest);
    if (rest.empty()) break;
    const std::size_t eq = rest.find('=');
    const std::size_t next_semicolon = rest.find(';');
    if (eq == std::string_view::npos || (next_semicolon != std::string_view::npos && next_semicolon < eq)) {
      // A parameter without a value: skip it, as browsers do.
      if (next_semicolon == std::string_view::npos) break;
      rest.remove_prefix(next_semicolon + 1);
      continue;
    }
    std::string name = ascii_lower(trim_whitespace(rest.substr(0, eq)));
    rest = trim_whitespace(rest.substr(eq + 1));
    std::string parsed;
    if (!rest.empty() && rest.front() == '"') {
      std::size_t i = 1;
      bool closed = false;
      for (; i < rest.size(); ++i) {
        const char c = rest[i];
        if (c == '\\' && i + 1 < rest.size()) {
          parsed += rest[++i];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          parsed += c;
        }
      }
      if (!closed) return tl::unexpected(invalid("unterminated quoted parameter \"" + name + "\""));
      rest.remove_prefix(i + 1);
      rest = trim_whitespace(rest);
      if (!rest.empty() && rest.front() != ';')
        return tl::unexpected(invalid("text after the quoted parameter \"" + name + "\""));
    } else {
      const std::size_t end = rest.find(';');
      parsed = std::string(trim_whitespace(rest.substr(0, end)));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    }
    out.params.insert_or_assign(std::move(name), std::move(parsed));
    if (!rest.empty()) rest.remove_prefix(1);  // the ';'
  }
  return out;
}

bool boundary_char_ok(char c) {
  // RFC 2046's bchars: DIGIT / ALPHA / "'()+_,-./:=? " (a space only inside).
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

struct PartHeaders {
  std::string name;
  std::optional<std::string> filename;
  std::string content_type = "text/plain";
};

Result<PartHeaders> parse_part_headers(std::string_view block, std::size_t index) {
  PartHeaders out;
  bool has_disposition = false;
  const std::string where = "part " + std::to_string(index + 1);
  while (!block.empty()) {
    const std::size_t end = block.find(kCrlf);
    const std::string_view line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view() : block.substr(end + kCrlf.size());
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t')
      return tl::unexpected(invalid(where + ": folded header lines are not accepted"));
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return tl::unexpected(invalid(where + ": a header line without a name"));
    const std::string field = ascii_lower(trim_whitespace(line.substr(0, colon)));
    const std::string_view value = trim_whitespace(line.substr(colon + 1));
    if (field == "content-disposition") {
      ORFEAS_ASSIGN_OR_RETURN(ParameterizedValue disposition, parse_parameterized(value));
      if (disposition.token != "form-data")
        return tl::unexpected(invalid(where + ": Content-Disposition is \"" + disposition.token + "\", not form-data"));
      const auto name = disposition.params.find("name");
      if (name == disposition.params.end()) return tl::unexpected(invalid(where + ": Content-Disposition has no name"));
      out.name = name->second;
      if (const auto filename = disposition.params.find("filename"); filename != disposition.params.end())
        out.filename = filename->second;
      has_disposition = true;
    } else if (field == "content-type") {
      out.content_type = std::string(value);
    }
  }
  if (!has_disposition) return tl::unexpected(invalid(where + " has no Content-Disposition header"));
  return out;
}

}  // namespace

bool is_multipart_form(std::string_view content_type) {
  const std::size_t semicolon = content_type.find(';');
  return ascii_lower(trim_whitespace(content_type.substr(0, semicolon))) == "multipart/form-data";
}

Result<std::string> multipart_boundary(std::string_view content_type) {
  ORFEAS_ASSIGN_OR_RETURN(ParameterizedValue value, parse_parameterized(content_type));
  if (value.token.rfind("multipart/", 0) != 0)
    return tl::unexpected(invalid("Content-Type \"" + value.token + "\" is not multipart"));
  const auto boundary = value.params.find("boundary");
  if (boundary == value.params.end()) return tl::unexpected(invalid("the Content-Type has no boundary"));
  const std::string& text = boundary->second;
  if (text.empty() || text.size() > kMaxBoundaryLength || text.back() == ' ' ||
      !std::all_of(text.begin(), text.end(), boundary_char_ok))
    return tl::unexpected(invalid("the boundary must be 1 to 70 letters, digits or '()+_,-./:=? "));
  return text;
}

Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                   const MultipartLimits& limits) {
  if (boundary.empty() || boundary.size() > kMaxBoundaryLength)
    return tl::unexpected(invalid("the boundary must be 1 to 70 characters"));
  // Every delimiter but a first one at the very start is CRLF "--" boundary.
  const std::string delimiter = "\r\n--" + std::string(boundary);
  std::size_t position = 0;
  if (body.substr(0, delimiter.size() - 2) == std::string_view(delimiter).substr(2)) {
    position = delimiter.size() - 2;
  } else {
    const std::size_t first = body.find(delimiter);
    if (first == std::string_view::npos) return tl::unexpected(invalid("no boundary delimiter found"));
    position = first + delimiter.size();
  }

  std::vector<MultipartPart> parts;
  while (true) {
    // After a delimiter: "--" closes the body; otherwise optional padding, then CRLF.
    if (body.substr(position, 2) == "--") return parts;
    while (position < body.size() && (body[position] == ' ' || body[position] == '\t')) ++position;
    if (body.substr(position, 2) != kCrlf)
      return tl::unexpected(invalid(position >= body.size() ? "the body ends inside a delimiter line"
                                                            : "a delimiter line is not followed by CRLF"));
    position += 2;
    if (parts.size() == limits.max_parts)
      return tl::unexpected(invalid("more than " + std::to_string(limits.max_parts) + " parts"));

    // The header block ends with an empty line; a part may have none (its CRLF comes at once).
    std::string_view headers;
    if (body.substr(position, 2) == kCrlf) {
      position += 2;
    } else {
      const std::string_view window = body.substr(position, limits.max_part_header_bytes + 4);
      const std::size_t end = window.find("\r\n\r\n");
      if (end == std::string_view::npos)
        return tl::unexpected(
            invalid(window.size() > limits.max_part_header_bytes
                        ? "the headers of part " + std::to_string(parts.size() + 1) + " are longer than " +
                              std::to_string(limits.max_part_header_bytes) + " bytes"
                        : "the body ends inside the headers of part " + std::to_string(parts.size() + 1)));
      headers = window.substr(0, end);
      position += end + 4;
    }
    ORFEAS_ASSIGN_OR_RETURN(PartHeaders parsed, parse_part_headers(headers, parts.size()));

    const std::size_t end = body.find(delimiter, position);
    if (end == std::string_view::npos)
      return tl::unexpected(invalid("part " + std::to_string(parts.size() + 1) + " (\"" + parsed.name +
                                    "\") is not terminated by a boundary delimiter"));
    parts.push_back({std::move(parsed.name), std::move(parsed.filename), std::move(parsed.content_type),
                     body.substr(position, end - position)});
    position = end + delimiter.size();
  }
}

Result<std::vector<MultipartPart>> parse_multipart_form(const Request& request, const MultipartLimits& limits) {
  const std::string_view content_type = request.headers.get("Content-Type").value_or("");
  if (!is_multipart_form(content_type))
    return tl::unexpected(invalid("the request's Content-Type is not multipart/form-data"));
  ORFEAS_ASSIGN_OR_RETURN(std::string boundary, multipart_boundary(content_type));
  return parse_multipart(request.body, boundary, limits);
}

}  // namespace orfeas::serve
