#include "serve_command.h"

#include <pthread.h>
#include <signal.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "orfeas/serve/http_server.h"
#include "orfeas/serve/router.h"

namespace orfeas::cli {
namespace {

struct ServeArgs {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 4;
  std::size_t max_body_mib = 32;
};

ServeArgs& args() {
  static ServeArgs instance;
  return instance;
}

// One route: what it answers and how the OpenAPI document describes it. The document is made from
// this list, so it names exactly the routes that exist.
struct RouteSpec {
  serve::Method method;
  std::string pattern;
  std::string summary;
  serve::Handler handler;
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

nlohmann::json openapi_document(const std::vector<RouteSpec>& routes) {
  nlohmann::json paths = nlohmann::json::object();
  for (const RouteSpec& route : routes) {
    nlohmann::json operation = {
        {"summary", route.summary},
        {"responses",
         {{"200", {{"description", "OK"}, {"content", {{"application/json", nlohmann::json::object()}}}}}}},
    };
    nlohmann::json parameters = nlohmann::json::array();
    for (std::size_t open = route.pattern.find('{'); open != std::string::npos;
         open = route.pattern.find('{', open + 1)) {
      const std::size_t close = route.pattern.find('}', open);
      parameters.push_back({{"name", route.pattern.substr(open + 1, close - open - 1)},
                            {"in", "path"},
                            {"required", true},
                            {"schema", {{"type", "string"}}}});
    }
    if (!parameters.empty()) operation["parameters"] = parameters;
    paths[route.pattern][lower(serve::method_name(route.method))] = operation;
  }
  return {
      {"openapi", "3.0.3"},
      {"info", {{"title", "ORFEAS"}, {"version", "0.1.0"}, {"description", "Image to 3D mesh service"}}},
      {"paths", paths},
  };
}

std::vector<RouteSpec> make_routes() {
  std::vector<RouteSpec> routes;
  routes.push_back({serve::Method::kGet, "/healthz", "Liveness: answers {\"status\":\"ok\"} while the server runs",
                    [](const serve::Request&, const serve::PathParams&) {
                      return serve::json_response(200, R"({"status":"ok"})");
                    }});
  routes.push_back({serve::Method::kGet, "/api/openapi.json", "This description of the API", nullptr});
  const std::string document = openapi_document(routes).dump(2);
  routes.back().handler = [document](const serve::Request&, const serve::PathParams&) {
    return serve::json_response(200, document);
  };
  return routes;
}

}  // namespace

void add_serve_command(CLI::App& app) {
  CLI::App* serve = app.add_subcommand("serve", "Serve the HTTP API until SIGTERM or SIGINT");
  ServeArgs& a = args();
  serve->add_option("--host", a.host, "IP address to listen on")->capture_default_str();
  serve->add_option("--port", a.port, "TCP port; 0 picks a free one")->capture_default_str();
  serve->add_option("--threads", a.threads, "threads serving connections")
      ->capture_default_str()
      ->check(CLI::Range(1U, 256U));
  serve->add_option("--max-body-mib", a.max_body_mib, "largest request body accepted (MiB)")->capture_default_str();
}

int run_serve() {
  const ServeArgs& a = args();
  serve::Router router;
  for (RouteSpec& route : make_routes()) {
    if (const Status added = router.add(route.method, route.pattern, std::move(route.handler)); !added) {
      fmt::print(stderr, "orfeas serve: error: {}\n", added.error().message());
      return 1;
    }
  }
  serve::HttpServer::Options options;
  options.host = a.host;
  options.port = a.port;
  options.threads = a.threads;
  options.max_body_bytes = a.max_body_mib * 1024 * 1024;

  // The signals are taken synchronously by this thread: blocked before the server's threads start,
  // so they inherit the mask and none of them is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = serve::HttpServer::create(options, std::move(router));
  if (!server) {
    fmt::print(stderr, "orfeas serve: error: {}\n", server.error().message());
    return 1;
  }
  if (const Status started = (*server)->start(); !started) {
    fmt::print(stderr, "orfeas serve: error: {}\n", started.error().message());
    return 1;
  }
  const bool ipv6 = a.host.find(':') != std::string::npos;
  fmt::print("listening on http://{}:{}\n", ipv6 ? "[" + a.host + "]" : a.host, (*server)->port());
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  fmt::print("received {}, stopping\n", received == SIGTERM ? "SIGTERM" : "SIGINT");
  std::fflush(stdout);
  (*server)->stop();
  return 0;
}

}  // namespace orfeas::cli
