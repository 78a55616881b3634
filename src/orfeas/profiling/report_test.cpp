#include "orfeas/profiling/report.h"

#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orfeas/profiling/profiler.h"
#include "orfeas/profiling/test_profiles.h"

namespace orfeas::profiling {
namespace {

using testing::make_profile;

// A directory of its own per test, removed afterwards.
class ProfilingReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("orfeas_profiling_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::unique_ptr<Profiler> profiler_with_history() {
  Profiler::Options options;
  options.device_memory_total_bytes = 1000;
  options.bottleneck_threshold_percent = 25.0;
  auto profiler = std::move(*Profiler::create(std::move(options)));
  for (int i = 0; i < 6; ++i) {
    profiler->record_profile(make_profile(
        "job" + std::to_string(i),
        {{"image_preprocessing", 1.5 + i}, {"shape_generation", 20.0 + i, 950, 7.25}, {"mesh_extraction", 31.0 / 3.0}},
        static_cast<std::uint64_t>(i + 1), 0.05 * i));
  }
  return profiler;
}

TEST_F(ProfilingReportTest, ReportJsonIsWellFormed) {
  auto profiler = profiler_with_history();
  const std::filesystem::path path = dir_ / "report.json";
  ASSERT_TRUE(profiler->export_report(path));
  const nlohmann::json j = nlohmann::json::parse(read_text(path));  // throws (fails) if malformed
  EXPECT_EQ(j.at("format"), "orfeas-profile-report");
  EXPECT_EQ(j.at("version"), 1);
  EXPECT_EQ(j.at("summary").at("pipeline_count"), 6);
  EXPECT_EQ(j.at("profiles").size(), 6u);
  EXPECT_EQ(j.at("bottlenecks").at(0).at("stage"), "shape_generation");
  EXPECT_EQ(j.at("bottlenecks").at(0).at("severity"), "critical");
  EXPECT_FALSE(j.at("recommendations").empty());
  EXPECT_EQ(j.at("profiles").at(0).at("stages").at(1).at("parent"), 0);
  // No temporary file left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), std::filesystem::directory_iterator()), 1);
}

TEST_F(ProfilingReportTest, ReportRoundTripsThroughLoadReport) {
  auto profiler = profiler_with_history();
  const std::filesystem::path path = dir_ / "report.json";
  ASSERT_TRUE(profiler->export_report(path));
  auto loaded = load_report(path);
  ASSERT_TRUE(loaded) << loaded.error().message();
  const Report original = profiler->report();

  EXPECT_EQ(loaded->options.bottleneck_threshold_percent, 25.0);
  EXPECT_EQ(loaded->options.device_memory_total_bytes, 1000u);
  EXPECT_EQ(loaded->recommendations, original.recommendations);
  ASSERT_EQ(loaded->bottlenecks.size(), original.bottlenecks.size());
  for (std::size_t i = 0; i < original.bottlenecks.size(); ++i) {
    EXPECT_EQ(loaded->bottlenecks[i].share.stage, original.bottlenecks[i].share.stage);
    EXPECT_EQ(loaded->bottlenecks[i].severity, original.bottlenecks[i].severity);
    EXPECT_EQ(loaded->bottlenecks[i].share.mean_share_percent, original.bottlenecks[i].share.mean_share_percent);
  }
  ASSERT_EQ(loaded->profiles.size(), original.profiles.size());
  for (std::size_t i = 0; i < original.profiles.size(); ++i) {
    const PipelineProfile& a = original.profiles[i];
    const PipelineProfile& b = loaded->profiles[i];
    EXPECT_EQ(a.job, b.job);
    EXPECT_EQ(a.job_name, b.job_name);
    EXPECT_EQ(a.total_seconds, b.total_seconds);  // doubles round-trip exactly
    EXPECT_EQ(a.started_at_seconds, b.started_at_seconds);
    ASSERT_EQ(a.stages.size(), b.stages.size());
    for (std::size_t s = 0; s < a.stages.size(); ++s) {
      EXPECT_EQ(a.stages[s].name, b.stages[s].name);
      EXPECT_EQ(a.stages[s].parent, b.stages[s].parent);
      EXPECT_EQ(a.stages[s].depth, b.stages[s].depth);
      EXPECT_EQ(a.stages[s].start_ms, b.stages[s].start_ms);
      EXPECT_EQ(a.stages[s].wall_ms, b.stages[s].wall_ms);
      EXPECT_EQ(a.stages[s].gpu_ms, b.stages[s].gpu_ms);
      EXPECT_EQ(a.stages[s].peak_device_bytes, b.stages[s].peak_device_bytes);
    }
  }
  EXPECT_EQ(loaded->summary.stages.size(), original.summary.stages.size());
  EXPECT_EQ(loaded->summary.total.p95_ms, original.summary.total.p95_ms);
  EXPECT_EQ(report_to_json(*loaded), report_to_json(original));
}

TEST_F(ProfilingReportTest, LoadReportRejectsBrokenFiles) {
  EXPECT_EQ(load_report(dir_ / "missing.json").error().code(), ErrorCode::kNotFound);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  };
  EXPECT_EQ(load_report(write("garbage.json", "{not json")).error().code(), ErrorCode::kCorruptData);
  EXPECT_EQ(load_report(write("other.json", R"({"traceEvents": []})")).error().code(), ErrorCode::kCorruptData);
  EXPECT_EQ(load_report(write("newer.json", R"({"format": "orfeas-profile-report", "version": 99})")).error().code(),
            ErrorCode::kUnsupportedFormat);
  const auto missing_field = load_report(write("field.json", R"({"format": "orfeas-profile-report", "version": 1,
      "options": {"bottleneck_threshold_percent": 20}, "profiles": [{"job_id": 1}]})"));
  ASSERT_FALSE(missing_field);
  EXPECT_EQ(missing_field.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(missing_field.error().message().find("field.json"), std::string::npos);
  const auto bad_parent = load_report(write("parent.json", R"({"format": "orfeas-profile-report", "version": 1,
      "options": {"bottleneck_threshold_percent": 20}, "profiles": [{"job_id": 1, "job_name": "x",
      "started_at_seconds": 0, "total_seconds": 1, "stages": [{"name": "a", "parent": 0, "depth": 0,
      "start_ms": 0, "wall_ms": 1}]}]})"));
  ASSERT_FALSE(bad_parent);
  EXPECT_EQ(bad_parent.error().code(), ErrorCode::kCorruptData);
}

TEST_F(ProfilingReportTest, ReportTextListsBottlenecksAndRecommendations) {
  const Report report = profiler_with_history()->report();
  const std::string text = report_text(report);
  EXPECT_NE(text.find("6 pipelines: mean"), std::string::npos) << text;
  EXPECT_NE(text.find("[critical] shape_generation"), std::string::npos) << text;
  for (const std::string& line : report.recommendations) EXPECT_NE(text.find(line), std::string::npos) << line;
}

TEST(ProfilingWatermarkTest, PoolWatermarkReadsThePoolsPeak) {
  struct Stats {
    std::uint64_t peak_allocated_bytes = 0;
  };
  struct Pool {
    Stats current;
    int resets = 0;
    void reset_peak() { ++resets; }
    [[nodiscard]] Stats stats() const { return current; }
  };
  Pool pool;
  PoolWatermark<Pool> watermark(&pool);
  watermark.reset_peak();
  pool.current.peak_allocated_bytes = 4096;
  EXPECT_EQ(pool.resets, 1);
  EXPECT_EQ(watermark.peak_bytes(), 4096u);
}

TEST_F(ProfilingReportTest, ExportReportFailsCleanlyInAMissingDirectory) {
  auto profiler = profiler_with_history();
  const auto status = profiler->export_report(dir_ / "no" / "such" / "dir" / "report.json");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace orfeas::profiling
