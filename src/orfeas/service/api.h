// The HTTP API of `orfeas serve` over a Service: every route, each with what the OpenAPI document
// says of it, so the document names exactly the routes that exist.
//
//   ORFEAS_ASSIGN_OR_RETURN(serve::Router router, make_router(service, api_options));
//
// Route groups, one file each: job_routes.cpp (/api/jobs…, /api/batch), studio_routes.cpp (the
// original studio frontend's routes and field names), ops_routes.cpp (/healthz, /readyz, /metrics,
// /api/gpu/status, /api/performance/…), mesh_routes.cpp (/api/mesh/…), web_routes.cpp (the web UI's
// static files). api.cpp assembles them, wraps every /api route in the API-key and CORS checks and
// adds /api/openapi.json.
//
// Errors are `{"error": {"code", "message"}}` (serve::json_error) with code one of api_error_code().
// With an API key, a request to an /api route without `Authorization: Bearer <key>` (or, as on
// the WebSocket, `?api_key=<key>`, removed from the query before the route sees it) is a 401
// `unauthorized` (the key compared in constant time); with a CORS origin, /api answers carry
// Access-Control-Allow-Origin and every /api path answers OPTIONS preflights (without the key, as
// browsers send none). Every 429 carries Retry-After (Service::retry_after_s()).
// Thread-safety: the handlers may run on many threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/serve/http_types.h"
#include "orfeas/serve/multipart.h"
#include "orfeas/serve/router.h"
#include "orfeas/service/request_params.h"
#include "orfeas/service/service.h"

namespace orfeas::service {

struct ApiOptions {
  std::optional<std::string> api_key;      // set: every /api route needs "Authorization: Bearer <key>" (or ?api_key=)
  std::optional<std::string> cors_origin;  // set: CORS headers for this origin ("*" for any); off otherwise
  std::filesystem::path web_root;          // the built web UI (index.html, assets/); empty: no UI routes
};

// A query parameter, for the OpenAPI document.
struct ApiParam {
  std::string name;
  std::string type = "string";  // OpenAPI schema type: string, integer, number, boolean
  std::string description;
  bool required = false;
};

struct ApiRoute {
  serve::Method method;
  std::string pattern;      // "/api/jobs/{id}"
  std::string summary;      // one line for the OpenAPI document
  std::string description;  // parameters and answers, Markdown, may be empty
  serve::Handler handler;
  std::vector<ApiParam> query = {};  // its query parameters (path parameters come from the pattern)
};

// The error code string of the API for a library error: "invalid_argument", "not_found",
// "unsupported_format", "corrupt_data", "limit_exceeded", "no_foreground", "out_of_memory",
// "unavailable", "internal", "cancelled", "deadline_exceeded", "resource_exhausted", "io_error".
[[nodiscard]] std::string_view api_error_code(ErrorCode code);
// The HTTP status for a library error: 400, 404, 415, 422, 413, 503, 500, 429, ...
[[nodiscard]] int http_status_of(ErrorCode code);
// json_error(http_status_of(code), api_error_code(code), message).
[[nodiscard]] serve::Response error_response(const Error& error);

[[nodiscard]] std::vector<ApiRoute> job_routes(Service& service);
[[nodiscard]] std::vector<ApiRoute> studio_routes(Service& service);
[[nodiscard]] std::vector<ApiRoute> ops_routes(Service& service);
[[nodiscard]] std::vector<ApiRoute> mesh_routes(const Service& service);
[[nodiscard]] std::vector<ApiRoute> web_routes(const std::filesystem::path& web_root);

// Shared by the route groups.
// "2026-11-30T05:20:30.123Z" for a Unix time in milliseconds.
[[nodiscard]] std::string iso8601_utc(std::int64_t unix_ms);
// The Content-Type of a result file: model/stl, model/gltf-binary, model/obj, application/ply
// (application/octet-stream for anything else).
[[nodiscard]] std::string_view mesh_content_type(std::string_view format);
// A file as an answer to a GET: ETag (size and modification time), If-None-Match → 304, Range
// (bytes=a-b, a-, -n; one range) → 206 with Content-Range or 416, Accept-Ranges, and
// Content-Disposition attachment with `download_name` (built by the caller from ids, never from a
// request). kNotFound answers a file that is gone.
[[nodiscard]] serve::Response file_response(const serve::Request& request, const std::filesystem::path& file,
                                            std::string_view content_type, std::string_view download_name);
// A multipart form split into its file parts (views into request.body) and its other fields.
// kInvalidArgument for a malformed form or a field given twice with different values.
struct FormData {
  std::vector<serve::MultipartPart> files;
  ParamFields fields;
};
[[nodiscard]] Result<FormData> read_form(const serve::Request& request);
// The API error code of a failed job ("out_of_memory"), from what the store keeps; empty when none.
[[nodiscard]] std::string job_error_code(const jobs::Job& job);

// The OpenAPI 3 document (JSON text) describing `routes`.
[[nodiscard]] std::string openapi_document(const std::vector<ApiRoute>& routes);

// Every route above (web routes only when options.web_root is set) plus /api/openapi.json, with
// the API key and CORS checks on /api routes. kInvalidArgument when two routes collide.
[[nodiscard]] Result<serve::Router> make_router(Service& service, const ApiOptions& options);

}  // namespace orfeas::service
