// `orfeas serve` as a process: it reports its address, answers /healthz, the OpenAPI document and
// the job list over a raw socket, and stops with exit code 0 on SIGTERM (serve_api_test.cpp covers
// the API itself).
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orfeas/testing/temp_dir.h"
#include "serve_process.h"

namespace orfeas {
namespace {

using namespace std::chrono_literals;
using e2e::body_of;
using e2e::raw_get;
using e2e::ServeProcess;

TEST(CliServe, AnswersHealthzAndStopsOnSigterm) {
  const testing::TempDir data;
  ServeProcess server({"--host", "127.0.0.1", "--port", "0", "--data-dir", data.path().string(), "--web-root", "none"});
  const std::string line = server.read_line(30s);
  const std::string prefix = "listening on http://127.0.0.1:";
  ASSERT_EQ(line.rfind(prefix, 0), 0U) << line;
  const int port = std::stoi(line.substr(prefix.size()));
  ASSERT_GT(port, 0);

  const std::string health = raw_get(port, "/healthz");
  EXPECT_EQ(health.rfind("HTTP/1.1 200", 0), 0U) << health;
  EXPECT_EQ(nlohmann::json::parse(body_of(health)), nlohmann::json({{"status", "ok"}}));

  const std::string openapi = raw_get(port, "/api/openapi.json");
  EXPECT_EQ(openapi.rfind("HTTP/1.1 200", 0), 0U) << openapi;
  const auto document = nlohmann::json::parse(body_of(openapi));
  EXPECT_EQ(document["openapi"], "3.0.3");
  for (const char* path : {"/healthz", "/api/openapi.json", "/api/jobs", "/api/jobs/{id}/result"})
    EXPECT_TRUE(document["paths"].contains(path)) << path;

  const std::string jobs = raw_get(port, "/api/jobs");
  EXPECT_EQ(jobs.rfind("HTTP/1.1 200", 0), 0U) << jobs;
  EXPECT_EQ(nlohmann::json::parse(body_of(jobs))["jobs"], nlohmann::json::array());
  const std::string missing = raw_get(port, "/api/nothing-here");
  EXPECT_EQ(missing.rfind("HTTP/1.1 404", 0), 0U) << missing;

  EXPECT_EQ(server.stop(SIGTERM, 15s), 0);
}

TEST(CliServe, StopsOnSigint) {
  const testing::TempDir data;
  ServeProcess server({"--port", "0", "--data-dir", data.path().string()});
  ASSERT_EQ(server.read_line(30s).rfind("listening on http://127.0.0.1:", 0), 0U);
  EXPECT_EQ(server.stop(SIGINT, 15s), 0);
}

TEST(CliServe, ABusyPortFailsWithExitCode1) {
  const testing::TempDir data;
  ServeProcess first({"--port", "0", "--data-dir", (data.path() / "first").string()});
  const std::string line = first.read_line(30s);
  ASSERT_FALSE(line.empty());
  const std::string port = line.substr(line.rfind(':') + 1);
  ServeProcess second({"--port", port, "--data-dir", (data.path() / "second").string()});
  EXPECT_EQ(second.read_line(10s), "");  // never listening
  EXPECT_EQ(second.stop(0, 10s), 1);     // signal 0: only wait for its exit
  EXPECT_EQ(first.stop(SIGTERM, 15s), 0);
}

}  // namespace
}  // namespace orfeas
