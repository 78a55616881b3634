#include "orfeas/service/api.h"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::service {
namespace {

using nlohmann::json;
using serve::Method;
using serve::Request;
using serve::Response;

Request make_request(Method method, std::string path, std::vector<std::pair<std::string, std::string>> headers = {},
                     std::string body = {}) {
  Request request;
  request.method = method;
  request.method_text = std::string(serve::method_name(method));
  const std::size_t question = path.find('?');
  if (question != std::string::npos) {
    request.query = serve::parse_query(path.substr(question + 1)).value();
    path.resize(question);
  }
  request.path = std::move(path);
  for (auto& [name, value] : headers) request.headers.add(name, value);
  request.body = std::move(body);
  return request;
}

std::string duck() {
  return testing::read_text(std::filesystem::path(ORFEAS_SOURCE_DIR) / "examples/duck.png");
}

TEST(ApiErrors, EveryCodeHasANameAndAStatus) {
  EXPECT_EQ(http_status_of(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(http_status_of(ErrorCode::kNotFound), 404);
  EXPECT_EQ(http_status_of(ErrorCode::kUnsupportedFormat), 415);
  EXPECT_EQ(http_status_of(ErrorCode::kCorruptData), 422);
  EXPECT_EQ(http_status_of(ErrorCode::kNoForeground), 422);
  EXPECT_EQ(http_status_of(ErrorCode::kLimitExceeded), 413);
  EXPECT_EQ(http_status_of(ErrorCode::kResourceExhausted), 429);
  EXPECT_EQ(http_status_of(ErrorCode::kOutOfMemory), 503);
  EXPECT_EQ(http_status_of(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(http_status_of(ErrorCode::kCancelled), 409);
  EXPECT_EQ(http_status_of(ErrorCode::kDeadlineExceeded), 504);
  EXPECT_EQ(http_status_of(ErrorCode::kInternal), 500);
  EXPECT_EQ(http_status_of(ErrorCode::kIoError), 500);
  EXPECT_EQ(api_error_code(ErrorCode::kNoForeground), "no_foreground");
  EXPECT_EQ(api_error_code(ErrorCode::kResourceExhausted), "resource_exhausted");
  EXPECT_EQ(api_error_code(ErrorCode::kIoError), "io_error");

  const Response response = error_response(Error(ErrorCode::kCorruptData, "PNG truncated"));
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(json::parse(response.body), json({{"error", {{"code", "corrupt_data"}, {"message", "PNG truncated"}}}}));

  jobs::Job job;
  job.error_code = std::string(error_code_name(ErrorCode::kOutOfMemory));  // as the store keeps it
  EXPECT_EQ(job_error_code(job), "out_of_memory");
  job.error_code = "deadline_exceeded";
  EXPECT_EQ(job_error_code(job), "deadline_exceeded");
  job.error_code.clear();
  EXPECT_EQ(job_error_code(job), "");
}

TEST(ApiTimes, Iso8601Utc) {
  EXPECT_EQ(iso8601_utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_utc(1'764'480'030'123), "2025-11-30T05:20:30.123Z");
  EXPECT_EQ(iso8601_utc(-1), "1969-12-31T23:59:59.999Z");
}

TEST(ApiFiles, ContentTypesPerFormat) {
  EXPECT_EQ(mesh_content_type("stl"), "model/stl");
  EXPECT_EQ(mesh_content_type("glb"), "model/gltf-binary");
  EXPECT_EQ(mesh_content_type("obj"), "model/obj");
  EXPECT_EQ(mesh_content_type("ply"), "application/ply");
  EXPECT_EQ(mesh_content_type("3mf"), "model/3mf");
  EXPECT_EQ(mesh_content_type("exe"), "application/octet-stream");
}

TEST(ApiFiles, ETagsAndRanges) {
  const testing::TempDir dir;
  const auto file = dir.file("0123456789abcdef0123456789abcdef.stl");
  testing::write_text(file, "0123456789");
  const auto get = [&](std::vector<std::pair<std::string, std::string>> headers) {
    return file_response(make_request(Method::kGet, "/x", std::move(headers)), file, "model/stl", "orfeas-x.stl");
  };
  const Response whole = get({});
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body, "0123456789");
  EXPECT_EQ(whole.content_type, "model/stl");
  EXPECT_EQ(whole.headers.get("Content-Disposition"), "attachment; filename=\"orfeas-x.stl\"");
  EXPECT_EQ(whole.headers.get("Accept-Ranges"), "bytes");
  const std::string etag(*whole.headers.get("ETag"));
  EXPECT_NE(etag.find("0123456789abcdef0123456789abcdef"), std::string::npos);

  EXPECT_EQ(get({{"If-None-Match", etag}}).status, 304);
  EXPECT_EQ(get({{"If-None-Match", "\"other\", W/" + etag}}).status, 304);
  EXPECT_EQ(get({{"If-None-Match", "*"}}).status, 304);
  EXPECT_EQ(get({{"If-None-Match", "\"other\""}}).status, 200);

  const auto range = [&](const std::string& spec) { return get({{"Range", spec}}); };
  Response r = range("bytes=2-4");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, "234");
  EXPECT_EQ(r.headers.get("Content-Range"), "bytes 2-4/10");
  r = range("bytes=7-");
  EXPECT_EQ(r.body, "789");
  EXPECT_EQ(r.headers.get("Content-Range"), "bytes 7-9/10");
  r = range("bytes=-3");
  EXPECT_EQ(r.body, "789");
  r = range("bytes=-30");  // more than the file: all of it
  EXPECT_EQ(r.body, "0123456789");
  EXPECT_EQ(r.status, 206);
  r = range("bytes=5-100");  // past the end: to the end
  EXPECT_EQ(r.body, "56789");
  EXPECT_EQ(range("bytes=10-").status, 416);
  EXPECT_EQ(range("bytes=10-").headers.get("Content-Range"), "bytes */10");
  EXPECT_EQ(range("bytes=-0").status, 416);
  // Malformed or several ranges: ignored, the whole file.
  for (const char* ignored : {"bytes=4-2", "bytes=a-b", "items=0-1", "bytes=0-1,3-4", "bytes=", "bytes=--1"}) {
    r = range(ignored);
    EXPECT_EQ(r.status, 200) << ignored;
    EXPECT_EQ(r.body, "0123456789") << ignored;
  }
  EXPECT_EQ(file_response(make_request(Method::kGet, "/x"), dir.file("gone.stl"), "model/stl", "x").status, 404);
}

TEST(ApiOpenApi, PathAndQueryParametersAndSummaries) {
  std::vector<ApiRoute> routes;
  routes.push_back({Method::kGet,
                    "/api/things/{id}/parts/{part}",
                    "A part",
                    "Long text",
                    nullptr,
                    {{"limit", "integer", "how many", false}, {"q", "string", "", true}}});
  routes.push_back({Method::kDelete, "/api/things/{id}", "Remove", "", nullptr});
  routes.push_back({Method::kGet, "/healthz", "Alive", "", nullptr});
  const json document = json::parse(openapi_document(routes));
  EXPECT_EQ(document["openapi"], "3.0.3");
  const json& get = document["paths"]["/api/things/{id}/parts/{part}"]["get"];
  EXPECT_EQ(get["summary"], "A part");
  EXPECT_EQ(get["description"], "Long text");
  ASSERT_EQ(get["parameters"].size(), 4U);
  EXPECT_EQ(get["parameters"][0],
            json({{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}));
  EXPECT_EQ(get["parameters"][1]["name"], "part");
  EXPECT_EQ(get["parameters"][2], json({{"name", "limit"},
                                        {"in", "query"},
                                        {"required", false},
                                        {"schema", {{"type", "integer"}}},
                                        {"description", "how many"}}));
  EXPECT_EQ(get["parameters"][3]["required"], true);
  EXPECT_TRUE(get.contains("security"));
  const json& remove = document["paths"]["/api/things/{id}"]["delete"];
  EXPECT_FALSE(remove.contains("description"));
  EXPECT_EQ(remove["parameters"].size(), 1U);
  EXPECT_FALSE(document["paths"]["/healthz"]["get"].contains("security"));
  EXPECT_FALSE(document["paths"]["/healthz"]["get"].contains("parameters"));
}

// The router over a real Service whose workers never start: jobs stay queued.
class ApiRouterTest : public ::testing::Test {
 protected:
  void open(ApiOptions api, std::size_t max_queue = 1) {
    ServiceOptions options;
    options.data_dir = dir_.path() / "data";
    options.device = "cpu";
    options.max_queue = max_queue;
    options.start_workers = false;
    auto service = Service::open(options);
    ASSERT_TRUE(service.has_value()) << service.error().message();
    service_ = std::move(*service);
    auto router = make_router(*service_, api);
    ASSERT_TRUE(router.has_value()) << router.error().message();
    router_ = std::make_unique<serve::Router>(std::move(*router));
  }
  Response handle(Request request) const { return router_->handle(request); }
  Response submit(const std::string& query = "", std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "image/png");
    return handle(make_request(Method::kPost, "/api/jobs" + query, headers, duck()));
  }

  testing::TempDir dir_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<serve::Router> router_;
};

TEST_F(ApiRouterTest, AFullQueueIs429WithRetryAfterAndAQueuedJobShowsItsPosition) {
  open({});
  const Response first = submit("?resolution=32&priority=3");
  ASSERT_EQ(first.status, 202) << first.body;
  const std::string id = json::parse(first.body)["id"];
  const Response second = submit("?resolution=33");
  EXPECT_EQ(second.status, 429) << second.body;
  EXPECT_EQ(json::parse(second.body)["error"]["code"], "resource_exhausted");
  ASSERT_TRUE(second.headers.get("Retry-After").has_value());
  EXPECT_GE(std::stoi(std::string(*second.headers.get("Retry-After"))), 1);

  const json job = json::parse(handle(make_request(Method::kGet, "/api/jobs/" + id)).body);
  EXPECT_EQ(job["status"], "queued");
  EXPECT_EQ(job["position"], 1);
  EXPECT_EQ(job["priority"], 3);
  EXPECT_TRUE(job["started_at"].is_null());
  EXPECT_EQ(handle(make_request(Method::kGet, "/api/jobs/" + id + "/result")).status, 409);
  EXPECT_EQ(handle(make_request(Method::kGet, "/api/jobs/" + id + "/profile")).status, 404);

  const Response cancelled = handle(make_request(Method::kDelete, "/api/jobs/" + id));
  EXPECT_EQ(cancelled.status, 200);
  EXPECT_EQ(json::parse(cancelled.body)["status"], "cancelled");
  EXPECT_EQ(submit("?resolution=33").status, 202);  // room again
}

TEST_F(ApiRouterTest, TheStudioKeepsAnUploadWhenTheQueueRefusesIt) {
  open({});
  ASSERT_EQ(submit("?resolution=40").status, 202);  // fills the queue of one
  const std::string boundary = "b0undary";
  const std::string form = "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"duck.png\"\r\n\r\n" +
                           duck() + "\r\n--" + boundary + "--\r\n";
  const Response uploaded = handle(make_request(Method::kPost, "/api/upload-image",
                                                {{"Content-Type", "multipart/form-data; boundary=" + boundary}}, form));
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  const std::string upload = json::parse(uploaded.body)["job_id"];
  const std::string body = json({{"job_id", upload}, {"quality", 1}}).dump();
  const Response refused =
      handle(make_request(Method::kPost, "/api/generate-3d", {{"Content-Type", "application/json"}}, body));
  EXPECT_EQ(refused.status, 429);
  EXPECT_TRUE(refused.headers.get("Retry-After").has_value());

  const json queued = json::parse(handle(make_request(Method::kGet, "/api/jobs")).body)["jobs"];
  ASSERT_EQ(queued.size(), 1U);
  ASSERT_EQ(handle(make_request(Method::kDelete, "/api/jobs/" + queued[0]["id"].get<std::string>())).status, 200);
  const Response accepted =
      handle(make_request(Method::kPost, "/api/generate-3d", {{"Content-Type", "application/json"}}, body));
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  const json status = json::parse(handle(make_request(Method::kGet, "/api/job-status/" + upload)).body);
  EXPECT_EQ(status["status"], "queued");
  EXPECT_EQ(status["job_id"], upload);
  EXPECT_EQ(
      json::parse(handle(make_request(Method::kGet,
                                      "/api/jobs/" + json::parse(accepted.body)["orfeas_job_id"].get<std::string>()))
                      .body)["params"]["resolution"],
      32);  // quality 1
}

TEST_F(ApiRouterTest, TheKeyGuardsEveryApiRouteAndCorsAnswersPreflights) {
  open({.api_key = "k3y", .cors_origin = "https://ui.example", .web_root = {}});
  const Response denied = handle(make_request(Method::kGet, "/api/jobs"));
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.headers.get("Access-Control-Allow-Origin"), "https://ui.example");
  EXPECT_EQ(handle(make_request(Method::kGet, "/api/jobs", {{"Authorization", "Bearer k3y"}})).status, 200);
  EXPECT_EQ(handle(make_request(Method::kGet, "/api/jobs?api_key=k3y")).status, 200);
  EXPECT_EQ(handle(make_request(Method::kGet, "/api/jobs", {{"Authorization", "Bearer k3y2"}})).status, 401);
  EXPECT_EQ(handle(make_request(Method::kGet, "/api/jobs?api_key=k3y&limit=1")).status, 200);
  EXPECT_EQ(handle(make_request(Method::kGet, "/api/openapi.json")).status, 401);
  EXPECT_EQ(handle(make_request(Method::kGet, "/api/openapi.json", {{"Authorization", "Bearer k3y"}})).status, 200);
  EXPECT_NE(handle(make_request(Method::kGet, "/healthz")).status, 401);

  const Response preflight = handle(make_request(Method::kOptions, "/api/jobs"));
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.headers.get("Access-Control-Allow-Methods"), "GET, HEAD, POST, OPTIONS");
  EXPECT_EQ(preflight.headers.get("Access-Control-Allow-Origin"), "https://ui.example");
  EXPECT_EQ(preflight.headers.get("Vary"), "Origin");
}

TEST_F(ApiRouterTest, WithoutOptionsNoKeyAndNoCors) {
  open({});
  const Response list = handle(make_request(Method::kGet, "/api/jobs"));
  EXPECT_EQ(list.status, 200);
  EXPECT_FALSE(list.headers.get("Access-Control-Allow-Origin").has_value());
  EXPECT_EQ(handle(make_request(Method::kOptions, "/api/jobs")).status, 405);
  const json document = json::parse(handle(make_request(Method::kGet, "/api/openapi.json")).body);
  std::size_t routes = 0;
  for (const auto& [path, operations] : document["paths"].items()) routes += operations.size();
  EXPECT_EQ(routes, router_->routes().size());  // the document names exactly the routes served
}

}  // namespace
}  // namespace orfeas::service
