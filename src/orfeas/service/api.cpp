// The API's assembly: error mapping, the OpenAPI document, the API-key and CORS wrapper, and the
// helpers the route groups share (times, result files).
#include "orfeas/service/api.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "orfeas/service/progress_socket.h"

namespace orfeas::service {
namespace {

using serve::Method;
using serve::PathParams;
using serve::Request;
using serve::Response;

bool is_api_path(std::string_view pattern) {
  return pattern == "/api" || pattern.rfind("/api/", 0) == 0;
}

// What the wrapper of /api routes needs, shared by every wrapped handler.
struct Guard {
  ApiOptions options;
  Service* service;  // borrowed: outlives the router

  [[nodiscard]] bool authorized(const Request& request) const {
    return !options.api_key || request_carries_api_key(request, *options.api_key);
  }

  void add_cors(Response& response) const {
    if (!options.cors_origin) return;
    response.headers.set("Access-Control-Allow-Origin", *options.cors_origin);
    if (*options.cors_origin != "*") response.headers.set("Vary", "Origin");
    response.headers.set("Access-Control-Expose-Headers",
                         "Content-Disposition, Content-Range, ETag, Location, Retry-After");
  }

  [[nodiscard]] Response handle(const serve::Handler& inner, const Request& request, const PathParams& params) const {
    Response response;
    if (authorized(request)) {
      if (request.query.count("api_key") != 0) {
        // The key may come as ?api_key= (as on the WebSocket); the routes never see it.
        Request without_key = request;
        without_key.query.erase("api_key");
        response = inner(without_key, params);
      } else {
        response = inner(request, params);
      }
    } else {
      response = serve::json_error(401, "unauthorized", "this server needs \"Authorization: Bearer <api key>\"");
      response.headers.set("WWW-Authenticate", "Bearer");
    }
    if (response.status == 429 && !response.headers.contains("Retry-After"))
      response.headers.set("Retry-After", std::to_string(service->retry_after_s()));
    add_cors(response);
    return response;
  }
};

nlohmann::json operation_of(const ApiRoute& route) {
  nlohmann::json operation = {{"summary", route.summary}};
  if (!route.description.empty()) operation["description"] = route.description;
  nlohmann::json parameters = nlohmann::json::array();
  for (std::size_t open = route.pattern.find('{'); open != std::string::npos;
       open = route.pattern.find('{', open + 1)) {
    const std::size_t close = route.pattern.find('}', open);
    parameters.push_back({{"name", route.pattern.substr(open + 1, close - open - 1)},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", "string"}}}});
  }
  for (const ApiParam& param : route.query) {
    nlohmann::json entry = {
        {"name", param.name}, {"in", "query"}, {"required", param.required}, {"schema", {{"type", param.type}}}};
    if (!param.description.empty()) entry["description"] = param.description;
    parameters.push_back(std::move(entry));
  }
  if (!parameters.empty()) operation["parameters"] = std::move(parameters);
  operation["responses"] = {
      {"2XX", {{"description", "Success; see the description"}}},
      {"default",
       {{"description", "An error"},
        {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}},
  };
  if (is_api_path(route.pattern))
    operation["security"] =
        nlohmann::json::array({{{"bearerAuth", nlohmann::json::array()}}, nlohmann::json::object()});
  return operation;
}

// Byte range of a `Range: bytes=...` header against a file of `size` bytes.
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};
enum class RangeKind { kNone, kSatisfiable, kUnsatisfiable };

bool parse_u64(std::string_view text, std::uint64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// RFC 9110 §14: one range of bytes=a-b, a- or -n. A malformed header or several ranges are
// ignored (the whole file is sent), as the RFC allows.
RangeKind parse_range(std::string_view header, std::uint64_t size, ByteRange& range) {
  header = serve::trim_whitespace(header);
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() <= kUnit.size() || serve::ascii_lower(header.substr(0, kUnit.size())) != kUnit)
    return RangeKind::kNone;
  const std::string_view spec = serve::trim_whitespace(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return RangeKind::kNone;
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeKind::kNone;
  const std::string_view first = serve::trim_whitespace(spec.substr(0, dash));
  const std::string_view last = serve::trim_whitespace(spec.substr(dash + 1));
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (first.empty()) {  // -n: the last n bytes
    if (!parse_u64(last, b)) return RangeKind::kNone;
    if (b == 0 || size == 0) return RangeKind::kUnsatisfiable;
    range = {size - std::min(b, size), size - 1};
    return RangeKind::kSatisfiable;
  }
  if (!parse_u64(first, a)) return RangeKind::kNone;
  if (last.empty()) {
    b = size == 0 ? 0 : size - 1;
  } else {
    if (!parse_u64(last, b) || b < a) return RangeKind::kNone;
    b = std::min(b, size == 0 ? 0 : size - 1);
  }
  if (a >= size) return RangeKind::kUnsatisfiable;
  range = {a, b};
  return RangeKind::kSatisfiable;
}

// True when an If-None-Match list names `etag` (weak comparison) or is "*".
bool none_match_hits(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view candidate = serve::trim_whitespace(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (candidate == "*") return true;
    if (candidate.rfind("W/", 0) == 0) candidate.remove_prefix(2);
    if (candidate == etag) return true;
  }
  return false;
}

}  // namespace

std::string_view api_error_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kIoError:
      return "io_error";
    case ErrorCode::kUnsupportedFormat:
      return "unsupported_format";
    case ErrorCode::kCorruptData:
      return "corrupt_data";
    case ErrorCode::kLimitExceeded:
      return "limit_exceeded";
    case ErrorCode::kNoForeground:
      return "no_foreground";
    case ErrorCode::kOutOfMemory:
      return "out_of_memory";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kDeadlineExceeded:
      return "deadline_exceeded";
    case ErrorCode::kResourceExhausted:
      return "resource_exhausted";
  }
  return "internal";
}

int http_status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kUnsupportedFormat:
      return 415;
    case ErrorCode::kCorruptData:
    case ErrorCode::kNoForeground:
      return 422;  // well-formed request, an image we cannot use
    case ErrorCode::kLimitExceeded:
      return 413;
    case ErrorCode::kCancelled:
      return 409;  // the job's state conflicts with the request
    case ErrorCode::kResourceExhausted:
      return 429;
    case ErrorCode::kOutOfMemory:
    case ErrorCode::kUnavailable:
      return 503;  // the server, not the request: may succeed later
    case ErrorCode::kDeadlineExceeded:
      return 504;
    case ErrorCode::kIoError:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

Response error_response(const Error& error) {
  return serve::json_error(http_status_of(error.code()), api_error_code(error.code()), error.message());
}

std::string iso8601_utc(std::int64_t unix_ms) {
  const std::int64_t seconds = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  const auto millis = static_cast<int>(unix_ms - seconds * 1000);
  const auto time = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&time, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

Result<FormData> read_form(const Request& request) {
  ORFEAS_ASSIGN_OR_RETURN(std::vector<serve::MultipartPart> parts, serve::parse_multipart_form(request));
  FormData form;
  for (serve::MultipartPart& part : parts) {
    if (part.filename) {
      form.files.push_back(std::move(part));
      continue;
    }
    std::string value(part.body);
    const auto [it, inserted] = form.fields.emplace(part.name, value);
    if (!inserted && it->second != value)
      return make_error(ErrorCode::kInvalidArgument, "form field \"" + part.name + "\" is given twice");
  }
  return form;
}

std::string job_error_code(const jobs::Job& job) {
  if (job.error_code.empty()) return {};
  // The store keeps error_code_name() ("out of memory"); an API code ("out_of_memory") is kept as is.
  constexpr int kCodes = static_cast<int>(ErrorCode::kResourceExhausted) + 1;
  for (int i = 0; i < kCodes; ++i) {
    const auto code = static_cast<ErrorCode>(i);
    if (job.error_code == error_code_name(code) || job.error_code == api_error_code(code))
      return std::string(api_error_code(code));
  }
  return job.error_code;
}

std::string_view mesh_content_type(std::string_view format) {
  if (format == "stl") return "model/stl";
  if (format == "glb") return "model/gltf-binary";
  if (format == "obj") return "model/obj";
  if (format == "ply") return "application/ply";
  if (format == "3mf") return "model/3mf";
  return "application/octet-stream";
}

Response file_response(const Request& request, const std::filesystem::path& file, std::string_view content_type,
                       std::string_view download_name) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
    return serve::json_error(404, "not_found", "the result file is gone");
  const auto size = static_cast<std::uint64_t>(info.st_size);
  const auto mtime_ns = static_cast<std::uint64_t>(info.st_mtim.tv_sec) * 1'000'000'000ULL +
                        static_cast<std::uint64_t>(info.st_mtim.tv_nsec);
  const std::string etag = fmt::format("\"{}-{:x}-{:x}\"", file.stem().string(), size, mtime_ns);

  Response response;
  response.content_type = std::string(content_type);
  response.headers.set("ETag", etag);
  response.headers.set("Accept-Ranges", "bytes");
  response.headers.set("Cache-Control", "private, no-cache");
  response.headers.set("Content-Disposition", fmt::format("attachment; filename=\"{}\"", download_name));
  if (const auto none_match = request.headers.get("If-None-Match"); none_match && none_match_hits(*none_match, etag)) {
    response.status = 304;
    return response;
  }

  ByteRange range{0, size == 0 ? 0 : size - 1};
  RangeKind kind = RangeKind::kNone;
  if (const auto header = request.headers.get("Range")) kind = parse_range(*header, size, range);
  if (kind == RangeKind::kUnsatisfiable) {
    Response refused =
        serve::json_error(416, "range_not_satisfiable", fmt::format("the range is outside the file's {} bytes", size));
    refused.headers.set("Content-Range", fmt::format("bytes */{}", size));
    return refused;
  }
  const std::uint64_t length = size == 0 ? 0 : range.last - range.first + 1;
  std::ifstream in(file, std::ios::binary);
  if (!in) return serve::json_error(404, "not_found", "the result file is gone");
  response.body.resize(length);
  in.seekg(static_cast<std::streamoff>(range.first));
  in.read(response.body.data(), static_cast<std::streamsize>(length));
  if (static_cast<std::uint64_t>(in.gcount()) != length)
    return serve::json_error(500, "io_error", "the result file changed while it was read");
  if (kind == RangeKind::kSatisfiable) {
    response.status = 206;
    response.headers.set("Content-Range", fmt::format("bytes {}-{}/{}", range.first, range.last, size));
  }
  return response;
}

std::string openapi_document(const std::vector<ApiRoute>& routes) {
  nlohmann::json paths = nlohmann::json::object();
  for (const ApiRoute& route : routes)
    paths[route.pattern][serve::ascii_lower(serve::method_name(route.method))] = operation_of(route);
  const nlohmann::json document = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "ORFEAS"},
        {"version", "0.1.0"},
        {"description",
         "One image in, a 3D mesh out. Jobs are queued (POST /api/jobs), run by the server's workers, and their "
         "results downloaded (GET /api/jobs/{id}/result); progress streams over the WebSocket /api/ws. With an API "
         "key, every /api route needs `Authorization: Bearer <key>`."}}},
      {"paths", paths},
      {"components",
       {{"securitySchemes", {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}}}}},
        {"schemas",
         {{"Error",
           {{"type", "object"},
            {"properties",
             {{"error",
               {{"type", "object"},
                {"properties", {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}}}}}},
  };
  return document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<serve::Router> make_router(Service& service, const ApiOptions& options) {
  std::vector<ApiRoute> routes;
  const auto append = [&routes](std::vector<ApiRoute> group) {
    for (ApiRoute& route : group) routes.push_back(std::move(route));
  };
  append(job_routes(service));
  append(studio_routes(service));
  append(ops_routes(service));
  append(mesh_routes(service));
  routes.push_back({Method::kGet, "/api/openapi.json", "This description of the API (OpenAPI 3.0.3)", "", nullptr});
  routes.back().handler = [document = openapi_document(routes)](const Request&, const PathParams&) {
    return serve::json_response(200, document);
  };
  // The web UI's files are routes too, but not API: the document above leaves them out.
  if (!options.web_root.empty()) append(web_routes(options.web_root));

  const auto guard = std::make_shared<const Guard>(Guard{options, &service});
  serve::Router router;
  std::map<std::string, std::set<Method>> api_methods;  // per /api pattern, for the preflight answers
  for (ApiRoute& route : routes) {
    serve::Handler handler = std::move(route.handler);
    if (is_api_path(route.pattern)) {
      api_methods[route.pattern].insert(route.method);
      handler = [guard, inner = std::move(handler)](const Request& request, const PathParams& params) {
        return guard->handle(inner, request, params);
      };
    }
    ORFEAS_RETURN_IF_ERROR(router.add(route.method, route.pattern, std::move(handler)));
  }
  if (options.cors_origin) {
    for (const auto& [pattern, methods] : api_methods) {
      if (methods.count(Method::kOptions) != 0) continue;
      std::string allow;
      for (const Method method : methods) {
        allow += std::string(serve::method_name(method)) + ", ";
        if (method == Method::kGet) allow += "HEAD, ";
      }
      allow += "OPTIONS";
      ORFEAS_RETURN_IF_ERROR(router.add(Method::kOptions, pattern, [guard, allow](const Request&, const PathParams&) {
        Response response;
        response.status = 204;
        response.headers.set("Access-Control-Allow-Methods", allow);
        response.headers.set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-None-Match, Range");
        response.headers.set("Access-Control-Max-Age", "600");
        guard->add_cors(response);
        return response;
      }));
    }
  }
  return router;
}

}  // namespace orfeas::service
