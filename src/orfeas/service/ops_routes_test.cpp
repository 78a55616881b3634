// The operations routes over a real Service on the CPU (SQLite in a temporary directory), called
// in process through the handlers ops_routes() returns.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/service/api.h"
#include "orfeas/service/service.h"
#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::service {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class OpsRoutesTest : public ::testing::Test {
 protected:
  void open(bool start_workers) {
    ServiceOptions options;
    options.data_dir = dir_.path() / "data";
    options.device = "cpu";
    options.start_workers = start_workers;
    Result<std::unique_ptr<Service>> opened = Service::open(std::move(options));
    ASSERT_TRUE(opened.has_value()) << opened.error().message();
    service_ = std::move(*opened);
    routes_ = ops_routes(*service_);
  }

  serve::Response get(const std::string& pattern) {
    const auto route = std::find_if(routes_.begin(), routes_.end(), [&](const ApiRoute& r) {
      return r.method == serve::Method::kGet && r.pattern == pattern;
    });
    if (route == routes_.end()) {
      ADD_FAILURE() << "no route GET " << pattern;
      return {};
    }
    serve::Request request;
    request.path = pattern;
    return route->handler(request, {});
  }

  json get_json(const std::string& pattern, int expected_status = 200) {
    const serve::Response response = get(pattern);
    EXPECT_EQ(response.status, expected_status) << response.body;
    EXPECT_EQ(response.content_type, "application/json");
    json parsed = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(parsed.is_discarded()) << response.body;
    return parsed;
  }

  void submit_one() {
    SubmitRequest request;
    request.image = testing::read_text(fs::path(ORFEAS_SOURCE_DIR) / "examples/duck.png");
    request.params.resolution = 32;
    const Result<SubmitAnswer> answer = service_->submit(std::move(request));
    ASSERT_TRUE(answer.has_value()) << answer.error().message();
  }

  // Two pipelines whose top-level stages take 30 ms and 10 ms: shares 75 % and 25 %.
  void record_profiles() {
    for (int i = 0; i < 2; ++i) {
      profiling::PipelineProfile profile;
      profile.job = profiling::JobId{static_cast<std::uint64_t>(100 + i)};
      profile.job_name = "job" + std::to_string(i);
      profile.total_seconds = 0.04;
      profiling::StageProfile shape;
      shape.name = "shape_generation";
      shape.wall_ms = 30.0;
      profiling::StageProfile mesh;
      mesh.name = "mesh_extraction";
      mesh.start_ms = 30.0;
      mesh.wall_ms = 10.0;
      profile.stages = {shape, mesh};
      service_->profiler().record_profile(profile);
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<Service> service_;
  std::vector<ApiRoute> routes_;
};

TEST_F(OpsRoutesTest, EveryRouteIsAGetWithASummary) {
  open(/*start_workers=*/false);
  std::vector<std::string> patterns;
  for (const ApiRoute& route : routes_) {
    EXPECT_EQ(route.method, serve::Method::kGet) << route.pattern;
    EXPECT_FALSE(route.summary.empty()) << route.pattern;
    patterns.push_back(route.pattern);
  }
  EXPECT_EQ(patterns,
            (std::vector<std::string>{"/healthz", "/readyz", "/metrics", "/api/gpu/status", "/api/performance/summary",
                                      "/api/performance/recommendations", "/api/performance/report"}));
}

TEST_F(OpsRoutesTest, HealthzIsOk) {
  open(/*start_workers=*/false);
  EXPECT_EQ(get_json("/healthz"), (json{{"status", "ok"}}));
}

TEST_F(OpsRoutesTest, ReadyzIs503UntilTheWorkersRunThen200) {
  open(/*start_workers=*/false);
  const json not_ready = get_json("/readyz", 503);
  EXPECT_EQ(not_ready["ready"], false);
  EXPECT_EQ(not_ready["storage_writable"], true);
  EXPECT_EQ(not_ready["workers_up"], false);
  EXPECT_EQ(not_ready["reason"], "the workers are not running");
  EXPECT_EQ(not_ready["error"], (json{{"code", "unavailable"}, {"message", "the workers are not running"}}));

  service_->start_workers();
  EXPECT_EQ(get_json("/readyz"), (json{{"ready", true}, {"storage_writable", true}, {"workers_up", true}}));
}

TEST_F(OpsRoutesTest, ReadyzSaysWhenTheDataDirectoryIsNotWritable) {
  open(/*start_workers=*/true);
  // The probe file cannot be put in place while a directory holds its name (whoever runs the test,
  // root included).
  fs::create_directories(dir_.path() / "data" / ".readiness-probe" / "occupied");
  const json answer = get_json("/readyz", 503);
  EXPECT_EQ(answer["ready"], false);
  EXPECT_EQ(answer["storage_writable"], false);
  EXPECT_EQ(answer["workers_up"], true);
  EXPECT_EQ(answer["error"]["code"], "unavailable");
  EXPECT_NE(answer["reason"].get<std::string>().find("not writable"), std::string::npos) << answer.dump();
}

TEST_F(OpsRoutesTest, MetricsScrapeShowsTheQueue) {
  open(/*start_workers=*/false);
  submit_one();
  const serve::Response response = get("/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  for (const char* line : {"orfeas_up 1\n", "orfeas_jobs_submitted_total 1\n", "orfeas_jobs{status=\"queued\"} 1\n",
                           "orfeas_queue_length 1\n", "orfeas_workers{device=\"cpu\"} 0\n"}) {
    EXPECT_NE(response.body.find(line), std::string::npos) << "missing " << line << " in\n" << response.body;
  }
  // The CPU reports no device memory, so those families are absent.
  EXPECT_EQ(response.body.find("orfeas_gpu_memory_total_bytes"), std::string::npos);
}

TEST_F(OpsRoutesTest, GpuStatusOnTheCpuShowsTheHostAndTheBatchAdvice) {
  open(/*start_workers=*/false);
  submit_one();
  const json status = get_json("/api/gpu/status");
  EXPECT_EQ(status["mode"], "cpu");
  EXPECT_EQ(status["gpu_available"], false);
  EXPECT_EQ(status["gpu_count"], 0);
  ASSERT_EQ(status["devices"].size(), 1U) << status.dump();
  const json& cpu = status["devices"][0];
  EXPECT_EQ(cpu["id"], "cpu");
  EXPECT_EQ(cpu["name"], "CPU");
  EXPECT_EQ(cpu["worker_up"], false);
  EXPECT_TRUE(cpu["reading"].is_null());
  EXPECT_TRUE(cpu["utilization"].is_null());
  // The host's memory, in MiB, consistent with itself and with the system figures in bytes.
  const double total_mb = cpu["total_mb"].get<double>();
  EXPECT_GT(total_mb, 0.0);
  EXPECT_NEAR(cpu["used_mb"].get<double>() + cpu["free_mb"].get<double>(), total_mb, 1e-6);
  EXPECT_NEAR(total_mb * 1024 * 1024, status["system"]["total_bytes"].get<double>(), 1.0);
  // The top level is the first device when there is no GPU.
  for (const char* field : {"total_mb", "used_mb", "free_mb", "cached_mb", "utilization"}) {
    EXPECT_EQ(status[field], cpu[field]) << field;
  }
  // One job queued: the optimizer advises a batch of one, in CPU mode.
  EXPECT_EQ(cpu["batch"]["recommended"], 1);
  EXPECT_EQ(cpu["batch"]["max_safe"], 1);
  EXPECT_EQ(cpu["batch"]["mode"], "cpu");
  EXPECT_GT(cpu["batch"]["bytes_per_item"].get<std::uint64_t>(), 0U);
  EXPECT_TRUE(cpu["recommendations"].is_array());
  EXPECT_TRUE(cpu["allocator"].is_object()) << cpu.dump();
}

TEST_F(OpsRoutesTest, PerformanceSummaryWithoutProfilesIsEmpty) {
  open(/*start_workers=*/false);
  const json summary = get_json("/api/performance/summary");
  EXPECT_EQ(summary["pipeline_count"], 0);
  EXPECT_EQ(summary["stages"], json::array());
  EXPECT_EQ(summary["stage_shares"], json::array());
  EXPECT_EQ(summary["bottlenecks"], json::array());
}

TEST_F(OpsRoutesTest, PerformanceSummaryGivesSharesAndBottlenecks) {
  open(/*start_workers=*/false);
  record_profiles();
  const json summary = get_json("/api/performance/summary");
  EXPECT_EQ(summary["pipeline_count"], 2);
  EXPECT_EQ(summary["total"]["count"], 2);
  ASSERT_EQ(summary["stages"].size(), 2U) << summary.dump();
  EXPECT_EQ(summary["stages"][0]["stage"], "shape_generation");
  EXPECT_DOUBLE_EQ(summary["stages"][0]["mean_ms"].get<double>(), 30.0);
  EXPECT_DOUBLE_EQ(summary["stages"][0]["mean_s"].get<double>(), 0.03);
  EXPECT_DOUBLE_EQ(summary["stages"][0]["avg_percent"].get<double>(), 75.0);
  EXPECT_EQ(summary["stages"][1]["stage"], "mesh_extraction");
  EXPECT_DOUBLE_EQ(summary["stages"][1]["avg_percent"].get<double>(), 25.0);
  EXPECT_EQ(summary["stage_shares"][0]["stage"], "shape_generation");
  EXPECT_DOUBLE_EQ(summary["stage_shares"][0]["avg_percent"].get<double>(), 75.0);
  EXPECT_EQ(summary["stage_shares"][0]["job_count"], 2);
  // At the default 20 % threshold both stages are bottlenecks, the larger first.
  ASSERT_EQ(summary["bottlenecks"].size(), 2U) << summary.dump();
  EXPECT_EQ(summary["bottlenecks"][0]["stage"], "shape_generation");
  EXPECT_DOUBLE_EQ(summary["bottlenecks"][0]["avg_percent"].get<double>(), 75.0);
  EXPECT_EQ(summary["bottlenecks"][0]["severity"], "critical");
  EXPECT_EQ(summary["bottlenecks"][1]["stage"], "mesh_extraction");
  EXPECT_EQ(summary["bottlenecks"][1]["severity"], "medium");
  EXPECT_FALSE(summary.contains("profiles"));
}

TEST_F(OpsRoutesTest, RecommendationsAreTheProfilersThenTheOptimizers) {
  open(/*start_workers=*/false);
  record_profiles();
  const json answer = get_json("/api/performance/recommendations");
  ASSERT_TRUE(answer["recommendations"].is_array());
  std::vector<std::string> expected = service_->profiler().recommendations();
  ASSERT_FALSE(expected.empty());  // 75 % in one stage is worth a sentence
  for (const WorkerInfo& worker : service_->workers()) {
    for (const gpu::Advice& advice : worker.optimizer->recommendations()) {
      if (std::find(expected.begin(), expected.end(), advice.message) == expected.end())
        expected.push_back(advice.message);
    }
  }
  EXPECT_EQ(answer["recommendations"].get<std::vector<std::string>>(), expected);
}

TEST_F(OpsRoutesTest, ReportIsTheProfilerReportFormat) {
  open(/*start_workers=*/false);
  record_profiles();
  const json report = get_json("/api/performance/report");
  EXPECT_EQ(report["format"], "orfeas-profile-report");
  EXPECT_EQ(report["version"], 1);
  ASSERT_EQ(report["profiles"].size(), 2U);
  EXPECT_EQ(report["profiles"][0]["job_name"], "job0");
  EXPECT_EQ(report["summary"]["pipeline_count"], 2);
  // It reads back as a report.
  const Result<profiling::Report> parsed = profiling::parse_report(get("/api/performance/report").body);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->profiles.size(), 2U);
}

}  // namespace
}  // namespace orfeas::service
