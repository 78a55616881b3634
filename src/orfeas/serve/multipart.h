// multipart/form-data (RFC 7578) request bodies: what a browser's form or `curl -F` sends.
//
//   ORFEAS_ASSIGN_OR_RETURN(std::vector<MultipartPart> parts, parse_multipart_form(request));
//   for (const MultipartPart& part : parts)
//     if (part.name == "image" && part.filename) submit(std::string(part.body));
//
// Parts are views into the request body: nothing is copied, so the body must outlive them.
// Bodies are hostile: a missing or malformed boundary, a part that never ends, a header block longer
// than the limit, more parts than the limit, a part without `Content-Disposition: form-data;
// name=...` are kInvalidArgument with a sentence saying which. Only the delimiters are searched for;
// part bodies are binary and never inspected.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/serve/http_types.h"

namespace orfeas::serve {

struct MultipartPart {
  std::string name;                     // the form field's name
  std::optional<std::string> filename;  // set for a file field (may be empty: no file chosen)
  std::string content_type;             // the part's Content-Type; "text/plain" when absent
  std::string_view body;                // borrowed: a view into the request body
};

struct MultipartLimits {
  std::size_t max_parts = 128;
  std::size_t max_part_header_bytes = 8 * 1024;  // one part's header block, CRLFs included
};

// True for a Content-Type of "multipart/form-data" (any case, any parameters).
[[nodiscard]] bool is_multipart_form(std::string_view content_type);

// The boundary parameter of a multipart Content-Type (quoted or not, 1 to 70 characters as RFC 2046
// allows). kInvalidArgument when it is missing or malformed.
[[nodiscard]] Result<std::string> multipart_boundary(std::string_view content_type);

// The parts of `body` delimited by `boundary`, in order. A preamble before the first delimiter and
// an epilogue after the closing one are ignored, as RFC 2046 says.
[[nodiscard]] Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                                 const MultipartLimits& limits = {});

// parse_multipart with the boundary of the request's Content-Type; kInvalidArgument when the
// request is not multipart/form-data.
[[nodiscard]] Result<std::vector<MultipartPart>> parse_multipart_form(const Request& request,
                                                                      const MultipartLimits& limits = {});

}  // namespace orfeas::serve
