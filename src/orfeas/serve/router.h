// Routes a Request to its handler by method and path pattern.
//
//   Router router;
//   ORFEAS_RETURN_IF_ERROR(router.add(Method::kGet, "/api/jobs/{id}", [](const Request&, const PathParams& p) {
//     return json_response(200, "{\"id\":\"" + p.at("id") + "\"}");
//   }));
//   Response response = router.handle(request);  // never throws
//
// A pattern is literal segments and `{name}` segments, each `{name}` matching one non-empty
// percent-decoded path segment. A path no pattern matches is a 404, a path matched for other
// methods a 405 with Allow; both as `json_error`. A GET route also answers HEAD (the server drops
// the body). A handler that throws becomes a 500 `json_error`: exceptions never leave `handle`.
//
// Thread-safety: add() before serving; handle() is const and may run on many threads at once
// (handlers must be thread-safe themselves).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/serve/http_types.h"

namespace orfeas::serve {

using PathParams = std::map<std::string, std::string, std::less<>>;
using Handler = std::function<Response(const Request&, const PathParams&)>;

struct RouteInfo {
  Method method;
  std::string pattern;  // as given to add(): "/api/jobs/{id}"
};

class Router {
 public:
  // kInvalidArgument for a pattern that does not start with '/', has an empty or malformed `{}`
  // segment, repeats a parameter name, or is already routed for `method`.
  [[nodiscard]] Status add(Method method, std::string_view pattern, Handler handler);

  [[nodiscard]] Response handle(const Request& request) const;

  // The routes in the order they were added (for the OpenAPI description).
  [[nodiscard]] std::vector<RouteInfo> routes() const;

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter's name
    bool is_param = false;
  };
  struct Route {
    Method method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
  };

  std::vector<Route> routes_;
};

}  // namespace orfeas::serve
