// The REST API of `orfeas serve`, against a real server process: submit → poll → download, the
// result's caching and ranges, listing, cancel, a full queue (429 with Retry-After), the API key,
// CORS, the WebSocket /api/ws, the studio's routes, hostile requests (each answered 4xx, the server
// still serving), and a kill -9 with jobs queued and running followed by a restart on the same data
// directory.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orfeas/serve/test_client.h"
#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"
#include "serve_process.h"

namespace orfeas {
namespace {

using namespace std::chrono_literals;
using e2e::FormPart;
using e2e::http_request;
using e2e::HttpReply;
using e2e::multipart_body;
using e2e::multipart_content_type;
using e2e::ServeProcess;
using nlohmann::json;

const std::filesystem::path kSource = ORFEAS_SOURCE_DIR;

std::string file_bytes(const std::filesystem::path& path) {
  return testing::read_text(path);
}
std::string duck() {
  return file_bytes(kSource / "examples/duck.png");
}
std::string disc() {
  return file_bytes(kSource / "tests/data/disc_rgba.png");
}

json json_of(const HttpReply& reply) {
  return json::parse(reply.body, nullptr, false);
}

// A binary STL: 80-byte header, a face count, 50 bytes a face, and the size to match.
bool is_valid_binary_stl(const std::string& bytes) {
  if (bytes.size() < 84) return false;
  std::uint32_t faces = 0;
  std::memcpy(&faces, bytes.data() + 80, 4);
  return faces > 0 && bytes.size() == 84 + std::size_t{50} * faces;
}

// A server on a fresh data directory (or a given one), its port known.
struct Server {
  explicit Server(std::vector<std::string> args, const std::vector<std::string>& env = {},
                  const std::filesystem::path& data = {}) {
    data_dir = data.empty() ? dir.path() / "data" : data;
    std::vector<std::string> all = {"--port", "0", "--data-dir", data_dir.string(), "--web-root", "none"};
    all.insert(all.end(), args.begin(), args.end());
    process = std::make_unique<ServeProcess>(all, env);
    port = process->wait_for_port(60s);
  }
  testing::TempDir dir;
  std::filesystem::path data_dir;
  std::unique_ptr<ServeProcess> process;
  int port = -1;

  HttpReply get(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {}) const {
    return http_request(port, "GET", target, headers);
  }
  HttpReply post_image(const std::string& query, const std::string& image,
                       const std::string& type = "image/png") const {
    return http_request(port, "POST", "/api/jobs" + query, {{"Content-Type", type}}, image);
  }
  [[nodiscard]] bool healthy() const { return get("/healthz").status == 200; }

  // Polls the job until `done` holds for its JSON (or `timeout` passes); the last JSON seen.
  json wait_for(const std::string& id, const std::function<bool(const json&)>& done,
                std::chrono::seconds timeout = 240s) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    json job;
    while (std::chrono::steady_clock::now() < deadline) {
      job = json_of(get("/api/jobs/" + id));
      if (!job.is_discarded() && done(job)) return job;
      std::this_thread::sleep_for(100ms);
    }
    return job;
  }
  json wait_final(const std::string& id, std::chrono::seconds timeout = 240s) const {
    return wait_for(
        id,
        [](const json& j) {
          const std::string status = j.value("status", "");
          return status == "completed" || status == "failed" || status == "cancelled";
        },
        timeout);
  }
};

TEST(ServeApi, SubmitPollDownloadAStl) {
  Server server({});
  ASSERT_GT(server.port, 0);
  const HttpReply submitted = server.post_image("?resolution=32&size_mm=50", duck());
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  const json answer = json_of(submitted);
  const std::string id = answer["id"];
  EXPECT_EQ(id.size(), 32U);
  EXPECT_EQ(answer["status"], "queued");
  EXPECT_GE(answer["position"].get<int>(), 1);
  EXPECT_EQ(answer["links"]["result"], "/api/jobs/" + id + "/result");
  EXPECT_EQ(submitted.header("location"), "/api/jobs/" + id);

  const json job = server.wait_final(id);
  ASSERT_EQ(job["status"], "completed") << job.dump();
  EXPECT_EQ(job["params"]["resolution"], 32);
  EXPECT_DOUBLE_EQ(job["params"]["size_mm"].get<double>(), 50.0);
  EXPECT_EQ(job["params"]["format"], "stl");
  EXPECT_TRUE(job["error"].is_null());
  EXPECT_EQ(job["created_at"].get<std::string>().back(), 'Z');
  EXPECT_EQ(job["finished_at"].get<std::string>().size(), std::string("2026-01-01T00:00:00.000Z").size());

  const HttpReply result = server.get("/api/jobs/" + id + "/result");
  ASSERT_EQ(result.status, 200);
  EXPECT_TRUE(is_valid_binary_stl(result.body)) << result.body.size();
  EXPECT_EQ(result.header("content-type"), "model/stl");
  EXPECT_EQ(result.header("content-disposition"), "attachment; filename=\"orfeas-" + id + ".stl\"");
  const std::string etag = result.header("etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(server.get("/api/jobs/" + id + "/result", {{"If-None-Match", etag}}).status, 304);

  const HttpReply tail = server.get("/api/jobs/" + id + "/result", {{"Range", "bytes=-16"}});
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, result.body.substr(result.body.size() - 16));
  EXPECT_EQ(tail.header("content-range"), "bytes " + std::to_string(result.body.size() - 16) + "-" +
                                              std::to_string(result.body.size() - 1) + "/" +
                                              std::to_string(result.body.size()));
  const HttpReply head = server.get("/api/jobs/" + id + "/result", {{"Range", "bytes=0-83"}});
  EXPECT_EQ(head.status, 206);
  EXPECT_EQ(head.body, result.body.substr(0, 84));
  const HttpReply from = server.get("/api/jobs/" + id + "/result", {{"Range", "bytes=100-"}});
  EXPECT_EQ(from.body, result.body.substr(100));
  const HttpReply outside =
      server.get("/api/jobs/" + id + "/result", {{"Range", "bytes=" + std::to_string(result.body.size()) + "-"}});
  EXPECT_EQ(outside.status, 416);
  EXPECT_EQ(outside.header("content-range"), "bytes */" + std::to_string(result.body.size()));

  const json profile = json_of(server.get("/api/jobs/" + id + "/profile"));
  ASSERT_TRUE(profile.contains("stages")) << profile.dump();
  EXPECT_GT(profile["stages"].size(), 3U);
  EXPECT_GT(profile["total_s"].get<double>(), 0.0);

  const json list = json_of(server.get("/api/jobs?status=completed&limit=10"));
  ASSERT_EQ(list["jobs"].size(), 1U);
  EXPECT_EQ(list["jobs"][0]["id"], id);
  EXPECT_TRUE(list["next_cursor"].is_null());

  // The same image and parameters again: answered from the content cache at once.
  const HttpReply again = server.post_image("?resolution=32&size_mm=50", duck());
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json_of(again)["status"], "completed");
  EXPECT_EQ(json_of(again)["cached"], true);
  EXPECT_EQ(server.get("/api/jobs/" + json_of(again)["id"].get<std::string>() + "/result").body, result.body);
}

TEST(ServeApi, MultipartFormsSingleAndBatch) {
  Server server({});
  ASSERT_GT(server.port, 0);
  const HttpReply submitted =
      http_request(server.port, "POST", "/api/jobs?priority=5", {multipart_content_type()},
                   multipart_body({{"format", "", "glb"}, {"resolution", "", "32"}, {"image", "disc.png", disc()}}));
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  const std::string id = json_of(submitted)["id"];
  const json job = server.wait_final(id);
  ASSERT_EQ(job["status"], "completed") << job.dump();
  EXPECT_EQ(job["priority"], 5);
  const HttpReply glb = server.get("/api/jobs/" + id + "/result");
  EXPECT_EQ(glb.header("content-type"), "model/gltf-binary");
  EXPECT_EQ(glb.body.substr(0, 4), "glTF");

  const HttpReply batch =
      http_request(server.port, "POST", "/api/batch?resolution=32", {multipart_content_type()},
                   multipart_body({{"format", "", "ply"},
                                   {"images", "a.png", duck()},
                                   {"images", "junk.png", file_bytes(kSource / "tests/data/garbage.png")},
                                   {"images", "b.png", disc()}}));
  ASSERT_EQ(batch.status, 202) << batch.body;
  const json jobs = json_of(batch)["jobs"];
  ASSERT_EQ(jobs.size(), 3U);
  EXPECT_TRUE(jobs[0].contains("id"));
  EXPECT_TRUE(jobs[1].contains("error"));
  EXPECT_EQ(jobs[1]["filename"], "junk.png");
  EXPECT_TRUE(jobs[2].contains("id"));
  for (const int i : {0, 2}) {
    const json done = server.wait_final(jobs[i]["id"]);
    EXPECT_EQ(done["status"], "completed") << done.dump();
    EXPECT_EQ(server.get("/api/jobs/" + jobs[i]["id"].get<std::string>() + "/result").header("content-type"),
              "application/ply");
  }
}

// A queue of one and slow jobs: the second or a later submission is refused with 429 and
// Retry-After; jobs are cancelled while queued or running.
TEST(ServeApi, AFullQueueAnswers429AndJobsCancel) {
  Server server({"--max-queue", "1", "--max-queue-delay-ms", "0"});
  ASSERT_GT(server.port, 0);
  std::vector<std::string> accepted;
  HttpReply refused;
  // Distinct resolutions: each job its own batch, none from the cache. Slow (≥ 160) jobs keep the
  // worker's two batch slots busy, so the queue fills.
  for (int i = 0; i < 8 && refused.status == 0; ++i) {
    const HttpReply reply = server.post_image("?resolution=" + std::to_string(160 + i), duck());
    if (reply.status == 202) {
      accepted.push_back(json_of(reply)["id"]);
    } else {
      refused = reply;
    }
  }
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(json_of(refused)["error"]["code"], "resource_exhausted");
  const std::string retry_after = refused.header("retry-after");
  ASSERT_FALSE(retry_after.empty());
  EXPECT_GE(std::stoi(retry_after), 1);
  ASSERT_GE(accepted.size(), 1U);

  for (const std::string& id : accepted) {
    const HttpReply cancelled = http_request(server.port, "DELETE", "/api/jobs/" + id);
    ASSERT_EQ(cancelled.status, 200) << cancelled.body;
    const std::string status = json_of(cancelled)["status"];
    EXPECT_TRUE(status == "cancelled" || status == "completed") << status;  // a race with its end is fine
  }
  const std::string& last = accepted.back();  // the youngest: still queued when cancelled
  const json job = json_of(server.get("/api/jobs/" + last));
  EXPECT_EQ(job["status"], "cancelled");
  EXPECT_EQ(server.get("/api/jobs/" + last + "/result").status, 409);
  // Cancelling again returns the job unchanged.
  EXPECT_EQ(json_of(http_request(server.port, "DELETE", "/api/jobs/" + last))["status"], "cancelled");
  // With the queue empty again, a submission is accepted.
  EXPECT_EQ(server.post_image("?resolution=33", disc()).status, 202);
}

TEST(ServeApi, TheApiKeyIsRequiredAndAccepted) {
  Server server({}, {"ORFEAS_API_KEY=s3cret-key"});
  ASSERT_GT(server.port, 0);
  const HttpReply missing = server.get("/api/jobs");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(json_of(missing)["error"]["code"], "unauthorized");
  EXPECT_EQ(missing.header("www-authenticate"), "Bearer");
  EXPECT_EQ(server.get("/api/jobs", {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(server.get("/api/jobs", {{"Authorization", "Bearer s3cret-key-and-more"}}).status, 401);
  EXPECT_EQ(server.get("/api/jobs", {{"Authorization", "Basic s3cret-key"}}).status, 401);
  EXPECT_EQ(server.get("/api/jobs", {{"Authorization", "Bearer s3cret-key"}}).status, 200);
  EXPECT_EQ(server.get("/api/health", {{"Authorization", "bearer s3cret-key"}}).status, 200);
  EXPECT_EQ(http_request(server.port, "POST", "/api/jobs", {{"Content-Type", "image/png"}}, duck()).status, 401);
  EXPECT_EQ(server.get("/healthz").status, 200);  // outside /api: probes need no key
}

TEST(ServeApi, CorsOnlyWhenAnOriginIsSet) {
  Server plain({});
  ASSERT_GT(plain.port, 0);
  EXPECT_TRUE(plain.get("/api/jobs").header("access-control-allow-origin").empty());
  EXPECT_EQ(http_request(plain.port, "OPTIONS", "/api/jobs").status, 405);

  Server cors({"--cors-origin", "https://studio.example", "--api-key", "k"});
  ASSERT_GT(cors.port, 0);
  const HttpReply preflight = http_request(cors.port, "OPTIONS", "/api/jobs/0123456789abcdef0123456789abcdef");
  EXPECT_EQ(preflight.status, 204);  // no key needed: browsers send none on a preflight
  EXPECT_EQ(preflight.header("access-control-allow-origin"), "https://studio.example");
  EXPECT_NE(preflight.header("access-control-allow-methods").find("DELETE"), std::string::npos);
  EXPECT_NE(preflight.header("access-control-allow-headers").find("Authorization"), std::string::npos);
  const HttpReply denied = cors.get("/api/jobs");
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.header("access-control-allow-origin"), "https://studio.example");
  EXPECT_EQ(cors.get("/api/jobs", {{"Authorization", "Bearer k"}}).header("access-control-allow-origin"),
            "https://studio.example");
}

TEST(ServeApi, BadRequestsAre4xxAndTheServerKeepsServing) {
  Server server({"--max-upload-mb", "1", "--request-timeout-s", "2"});
  ASSERT_GT(server.port, 0);
  const auto expect_4xx = [&](const HttpReply& reply, int status, const std::string& what) {
    EXPECT_EQ(reply.status, status) << what << ": " << reply.body;
    EXPECT_TRUE(server.healthy()) << "after " << what;
  };
  const std::string garbage = file_bytes(kSource / "tests/data/garbage.png");
  const HttpReply not_image = server.post_image("?resolution=32", garbage);
  EXPECT_TRUE(not_image.status == 415 || not_image.status == 422) << not_image.status << not_image.body;
  EXPECT_TRUE(server.healthy());
  expect_4xx(server.post_image("?resolution=32", file_bytes(kSource / "tests/data/not_supported.gif")), 415, "a GIF");
  expect_4xx(server.post_image("?resolution=32", file_bytes(kSource / "tests/data/truncated.png")), 422,
             "a truncated PNG");
  expect_4xx(server.post_image("?resolution=32", std::string(2 << 20, 'x')), 413, "2 MiB over a 1 MiB limit");
  expect_4xx(server.post_image("", ""), 400, "an empty body");
  const HttpReply bad_format = server.post_image("?format=fbx", duck());
  expect_4xx(bad_format, 400, "format=fbx");
  EXPECT_NE(json_of(bad_format)["error"]["message"].get<std::string>().find("\"format\""), std::string::npos);
  expect_4xx(server.post_image("?resolution=12abc", duck()), 400, "resolution=12abc");
  expect_4xx(server.post_image("?quality=11", duck()), 400, "quality=11");
  expect_4xx(server.post_image("?colour=red", duck()), 400, "an unknown parameter");
  expect_4xx(http_request(server.port, "POST", "/api/jobs", {{"Content-Type", "multipart/form-data"}}, "x"), 400,
             "multipart without a boundary");
  expect_4xx(http_request(server.port, "POST", "/api/jobs", {multipart_content_type()},
                          "--orfeas-e2e-boundary-7f3a\r\nContent-Disposition: form-data; name=\"image\"; "
                          "filename=\"a.png\"\r\n\r\nnever terminated"),
             400, "an unterminated part");
  expect_4xx(http_request(server.port, "POST", "/api/jobs", {multipart_content_type()},
                          multipart_body({{"format", "", "stl"}})),
             400, "a form without an image");

  expect_4xx(server.get("/api/jobs/0123456789abcdef0123456789abcdef"), 404, "an unknown id");
  expect_4xx(server.get("/api/jobs/not-an-id"), 404, "a malformed id");
  expect_4xx(server.get("/api/jobs/0123456789ABCDEF0123456789ABCDEF/result"), 404, "an upper-case id");
  expect_4xx(http_request(server.port, "DELETE", "/api/jobs/zzz"), 404, "cancel of a malformed id");
  expect_4xx(server.get("/api/jobs/../../etc/passwd"), 404, "..");
  expect_4xx(server.get("/api/jobs/%2e%2e/result"), 404, "%2e%2e");
  expect_4xx(server.get("/api/jobs/%2e%2e%2f%2e%2e%2fjobs.sqlite3/result"), 404, "%2e%2e%2f");
  expect_4xx(server.get("/api/download/0123456789abcdef0123456789abcdef/..%2f..%2fjobs.sqlite3"), 404,
             "a studio download with ..");
  expect_4xx(server.get("/api/jobs?limit=0"), 400, "limit=0");
  expect_4xx(server.get("/api/jobs?status=bogus"), 400, "status=bogus");
  expect_4xx(server.get("/api/jobs?cursor=nonsense"), 400, "a bad cursor");
  expect_4xx(server.get("/api/jobs/%zz"), 400, "a broken escape");
  expect_4xx(http_request(server.port, "POST", "/api/generate-3d", {{"Content-Type", "application/json"}}, "{nope"),
             400, "generate-3d with broken JSON");
  expect_4xx(http_request(server.port, "POST", "/api/generate-3d", {{"Content-Type", "application/json"}},
                          R"({"job_id": "0123456789abcdef0123456789abcdef"})"),
             404, "generate-3d of an unknown upload");

  // A body that never ends: the server gives up after --request-timeout-s and closes the connection.
  const int fd = e2e::open_connection(server.port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(e2e::write_all(fd,
                             "POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: "
                             "100000\r\n\r\nonly the start"));
  const auto started = std::chrono::steady_clock::now();
  bool timed_out = false;
  e2e::read_until_closed(fd, 30s, &timed_out);
  close(fd);
  EXPECT_FALSE(timed_out) << "the server kept a stalled upload open";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
  EXPECT_TRUE(server.healthy());
  EXPECT_EQ(server.post_image("?resolution=32", disc()).status, 202);  // still taking work
}

TEST(ServeApi, TheStudioRoutesKeepTheOriginalFieldNames) {
  Server server({});
  ASSERT_GT(server.port, 0);
  const HttpReply uploaded = http_request(server.port, "POST", "/api/upload-image", {multipart_content_type()},
                                          multipart_body({{"image", "../duck photo.png", duck()}}));
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  const json upload = json_of(uploaded);
  const std::string job_id = upload["job_id"];
  EXPECT_EQ(upload["status"], "uploaded");
  EXPECT_EQ(upload["original_filename"], "duck_photo.png");
  EXPECT_EQ(upload["image_info"]["format"], "PNG");

  const HttpReply started = http_request(
      server.port, "POST", "/api/generate-3d", {{"Content-Type", "application/json"}},
      json({{"job_id", job_id}, {"format", "stl"}, {"quality", 1}, {"dimensions", {{"width", 40}, {"height", 60}}}})
          .dump());
  ASSERT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(json_of(started)["job_id"], job_id);
  EXPECT_EQ(json_of(started)["status"], "generating_3d");
  EXPECT_EQ(http_request(server.port, "POST", "/api/generate-3d", {{"Content-Type", "application/json"}},
                         json({{"job_id", job_id}}).dump())
                .status,
            409);

  json status;
  for (int i = 0; i < 2400; ++i) {
    status = json_of(server.get("/api/job-status/" + job_id));
    if (status["status"] == "completed" || status["status"] == "failed") break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(status["status"], "completed") << status.dump();
  EXPECT_EQ(status["progress"], 100);
  EXPECT_EQ(status["output_file"], "model.stl");
  EXPECT_EQ(status["download_url"], "/api/download/" + job_id + "/model.stl");
  const HttpReply model = server.get(status["download_url"].get<std::string>());
  ASSERT_EQ(model.status, 200);
  EXPECT_TRUE(is_valid_binary_stl(model.body));
  EXPECT_EQ(server.get("/api/download/" + job_id + "/model.obj").status, 404);
  EXPECT_EQ(server.get("/api/download/" + job_id + "/jobs.sqlite3").status, 404);
  // The job itself, under its own id, is the same job.
  const std::string own_id = json_of(started)["orfeas_job_id"];
  EXPECT_DOUBLE_EQ(json_of(server.get("/api/jobs/" + own_id))["params"]["size_mm"].get<double>(), 60.0);

  const HttpReply batch = http_request(server.port, "POST", "/api/batch-generate", {multipart_content_type()},
                                       multipart_body({{"files", "a.png", disc()},
                                                       {"files", "b.png", duck()},
                                                       {"format_type", "", "obj"},
                                                       {"quality", "", "low"}}));
  ASSERT_EQ(batch.status, 200) << batch.body;
  EXPECT_EQ(json_of(batch)["success"], true);
  EXPECT_EQ(json_of(batch)["total_jobs"], 2);
  const json batch_answer = json_of(batch);
  for (const json& id : batch_answer["job_ids"]) {
    const json done = server.wait_final(id);
    EXPECT_EQ(done["status"], "completed");
    EXPECT_EQ(done["params"]["format"], "obj");
    EXPECT_EQ(done["params"]["resolution"], 64);  // "low" is quality 3
  }
  const json health = json_of(server.get("/api/health"));
  EXPECT_EQ(health["status"], "healthy");
  EXPECT_EQ(health["models_status"], "ready");
  EXPECT_TRUE(json_of(server.get("/api/models-info")).contains("device"));
}

TEST(ServeApi, TheOpenApiDocumentNamesEveryRoute) {
  Server server({});
  ASSERT_GT(server.port, 0);
  const json document = json_of(server.get("/api/openapi.json"));
  ASSERT_EQ(document["openapi"], "3.0.3");
  const json& paths = document["paths"];
  for (const char* path :
       {"/api/jobs", "/api/jobs/{id}", "/api/jobs/{id}/result", "/api/jobs/{id}/profile", "/api/batch",
        "/api/upload-image", "/api/generate-3d", "/api/job-status/{job_id}", "/api/download/{job_id}/{filename}",
        "/api/batch-generate", "/api/health", "/api/models-info", "/api/openapi.json", "/healthz"})
    EXPECT_TRUE(paths.contains(path)) << path;
  EXPECT_TRUE(paths["/api/jobs"].contains("post"));
  EXPECT_TRUE(paths["/api/jobs/{id}"].contains("delete"));
  const json& parameters = paths["/api/jobs"]["post"]["parameters"];
  EXPECT_TRUE(std::any_of(parameters.begin(), parameters.end(), [](const json& p) { return p["name"] == "quality"; }));
  EXPECT_EQ(paths["/api/jobs/{id}/result"]["get"]["parameters"][0]["in"], "path");
  // Every GET path without parameters answers (no 404/405): the document names real routes only.
  for (const auto& [path, operations] : paths.items()) {
    if (path.find('{') != std::string::npos || !operations.contains("get")) continue;
    const int status = server.get(path).status;
    EXPECT_TRUE(status != 404 && status != 405 && status != 0) << path << " " << status;
  }
}

TEST(ServeApi, TheWebSocketStreamsAJobToItsEnd) {
  Server server({}, {"ORFEAS_API_KEY=ws-key"});
  ASSERT_GT(server.port, 0);
  const auto port = static_cast<std::uint16_t>(server.port);
  serve::testing::WebSocketClient refused;
  EXPECT_FALSE(refused.connect(port, "/api/ws"));  // the key is needed here too
  serve::testing::WebSocketClient client;
  ASSERT_TRUE(client.connect(port, "/api/ws?api_key=ws-key")) << client.error().message();
  ASSERT_TRUE(client.send(R"({"type":"subscribe","jobs":"*"})"));
  const json ack = json::parse(client.read(10s).value_or("{}"));
  EXPECT_EQ(ack["type"], "subscribed");

  const HttpReply submitted = http_request(server.port, "POST", "/api/jobs?resolution=32",
                                           {{"Content-Type", "image/png"}, {"Authorization", "Bearer ws-key"}}, duck());
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  const std::string id = json_of(submitted)["id"];
  std::vector<std::string> types;
  double last_percent = 0.0;
  json completed;
  for (int i = 0; i < 1000 && completed.is_null(); ++i) {
    const std::optional<std::string> message = client.read(60s);
    ASSERT_TRUE(message.has_value()) << "no event; so far: " << json(types).dump();
    const json event = json::parse(*message);
    if (event.value("job", "") != id) continue;  // heartbeats
    types.push_back(event["type"]);
    if (event["type"] == "progress") {
      EXPECT_GE(event["percent"].get<double>(), last_percent);
      last_percent = event["percent"].get<double>();
    }
    if (event["type"] == "completed") completed = event;
  }
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "queued");
  EXPECT_NE(std::find(types.begin(), types.end(), "started"), types.end());
  EXPECT_EQ(completed["result_url"], "/api/jobs/" + id + "/result");
  client.close();
}

// kill -9 with jobs queued and running, a restart on the same data directory: every accepted job
// completes exactly once and results/ holds one whole file per job, nothing partial.
TEST(ServeApi, KillDashNineThenRestartCompletesEveryJobOnce) {
  testing::TempDir dir;
  const std::filesystem::path data = dir.path() / "data";
  std::vector<std::string> ids;
  {
    Server first({"--max-queue-delay-ms", "0"}, {}, data);
    ASSERT_GT(first.port, 0);
    for (int i = 0; i < 5; ++i) {
      const HttpReply reply = first.post_image("?resolution=" + std::to_string(160 + i), i % 2 == 0 ? duck() : disc());
      ASSERT_EQ(reply.status, 202) << reply.body;
      ids.push_back(json_of(reply)["id"]);
    }
    // Until one runs (the others queued or running), then no goodbye.
    const json running = first.wait_for(
        ids.front(), [](const json& j) { return j["status"] != "queued"; }, 120s);
    EXPECT_NE(running["status"], "queued");
    const json before = json_of(first.get("/api/jobs?limit=100"));
    kill(first.process->pid(), SIGKILL);
    int unfinished = 0;
    for (const json& job : before["jobs"]) unfinished += job["status"] == "queued" || job["status"] == "running";
    EXPECT_GE(unfinished, 2) << before.dump();   // the kill caught work in flight
    EXPECT_EQ(first.process->stop(0, 10s), -1);  // killed: no exit code
  }
  Server second({}, {}, data);
  ASSERT_GT(second.port, 0);
  for (const std::string& id : ids) {
    const json job = second.wait_final(id, 300s);
    EXPECT_EQ(job["status"], "completed") << job.dump();
    const HttpReply result = second.get("/api/jobs/" + id + "/result");
    EXPECT_TRUE(is_valid_binary_stl(result.body)) << id;
  }
  const json listed = json_of(second.get("/api/jobs?limit=100"));
  EXPECT_EQ(listed["jobs"].size(), ids.size());  // no job twice
  std::set<std::string> expected;
  for (const std::string& id : ids) expected.insert(id + ".stl");
  std::set<std::string> results;
  for (const auto& entry : std::filesystem::directory_iterator(data / "results"))
    results.insert(entry.path().filename().string());
  EXPECT_EQ(results, expected);  // one file per job, no temporary or partial file
}

}  // namespace
}  // namespace orfeas
