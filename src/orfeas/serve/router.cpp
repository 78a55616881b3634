#include "orfeas/serve/router.h"

#include <exception>
#include <optional>
#include <utility>

namespace orfeas::serve {
namespace {

// "/a/b/" → {"a", "b", ""}; "/" → {""}. The leading '/' is required by the caller.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  path.remove_prefix(1);
  while (true) {
    const std::size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

}  // namespace

Status Router::add(Method method, std::string_view pattern, Handler handler) {
  const auto invalid = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument,
                      "route pattern \"" + std::string(pattern) + "\": " + std::string(why));
  };
  if (pattern.empty() || pattern.front() != '/') return invalid("must start with '/'");
  if (!handler) return invalid("has no handler");
  std::vector<Segment> segments;
  for (std::string_view part : split_path(pattern)) {
    const bool opens = part.find('{') != std::string_view::npos;
    const bool closes = part.find('}') != std::string_view::npos;
    if (!opens && !closes) {
      segments.push_back({std::string(part), false});
      continue;
    }
    if (part.size() < 3 || part.front() != '{' || part.back() != '}' ||
        part.substr(1, part.size() - 2).find_first_of("{}") != std::string_view::npos)
      return invalid("a parameter must be a whole segment: {name}");
    std::string name(part.substr(1, part.size() - 2));
    for (const Segment& s : segments)
      if (s.is_param && s.text == name) return invalid("repeats {" + name + "}");
    segments.push_back({std::move(name), true});
  }
  for (const Route& r : routes_)
    if (r.method == method && r.pattern == pattern) return invalid("already routed");
  routes_.push_back({method, std::string(pattern), std::move(segments), std::move(handler)});
  return ok();
}

Response Router::handle(const Request& request) const {
  if (request.path.empty() || request.path.front() != '/')
    return json_error(400, "bad_request", "the request target must be an absolute path");
  std::vector<std::string> decoded;
  for (std::string_view part : split_path(request.path)) {
    Result<std::string> segment = percent_decode(part, false);
    if (!segment) return json_error(400, "bad_request", segment.error().message());
    decoded.push_back(std::move(*segment));
  }

  std::vector<Method> allowed;
  for (const Route& route : routes_) {
    if (route.segments.size() != decoded.size()) continue;
    PathParams params;
    bool matches = true;
    for (std::size_t i = 0; i < decoded.size() && matches; ++i) {
      const Segment& s = route.segments[i];
      if (s.is_param)
        matches = !decoded[i].empty() && params.emplace(s.text, decoded[i]).second;
      else
        matches = s.text == decoded[i];
    }
    if (!matches) continue;
    const bool method_matches =
        route.method == request.method || (route.method == Method::kGet && request.method == Method::kHead);
    if (!method_matches) {
      allowed.push_back(route.method);
      if (route.method == Method::kGet) allowed.push_back(Method::kHead);
      continue;
    }
    try {
      return route.handler(request, params);
    } catch (const std::exception& e) {
      return json_error(500, "internal", std::string("the handler failed: ") + e.what());
    } catch (...) {
      return json_error(500, "internal", "the handler failed");
    }
  }
  if (allowed.empty()) return json_error(404, "not_found", "no route for " + request.path);
  std::string allow;
  for (const Method m : allowed) {
    if (allow.find(method_name(m)) != std::string::npos) continue;
    if (!allow.empty()) allow += ", ";
    allow += method_name(m);
  }
  Response response =
      json_error(405, "method_not_allowed",
                 "method " +
                     std::string(request.method == Method::kOther ? std::string_view(request.method_text)
                                                                  : method_name(request.method)) +
                     " not allowed on " + request.path);
  response.headers.set("Allow", std::move(allow));
  return response;
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const Route& r : routes_) out.push_back({r.method, r.pattern});
  return out;
}

}  // namespace orfeas::serve
