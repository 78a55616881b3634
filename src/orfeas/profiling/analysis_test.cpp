#include "orfeas/profiling/analysis.h"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/profiling/profiler.h"
#include "orfeas/profiling/test_profiles.h"

namespace orfeas::profiling {
namespace {

using testing::make_profile;

const StageShare* find_share(const std::vector<StageShare>& shares, std::string_view stage) {
  for (const StageShare& s : shares) {
    if (s.stage == stage) return &s;
  }
  return nullptr;
}

TEST(ProfilingAnalysisTest, SharesOfTopLevelStagesSumTo100) {
  std::vector<PipelineProfile> profiles = {
      make_profile("a", {{"image_preprocessing", 3.7}, {"shape_generation", 41.3}, {"mesh_extraction", 17.9}}),
      make_profile("b", {{"image_preprocessing", 2.1}, {"mesh_extraction", 99.0}, {"export", 0.3}}),
      make_profile("c", {{"shape_generation", 1e-3}, {"export", 7.0}, {"export", 5.0}}),  // export twice
  };
  const std::vector<StageShare> shares = stage_shares(profiles);
  double sum = 0.0;
  for (const StageShare& s : shares) sum += s.mean_share_percent;
  EXPECT_NEAR(sum, 100.0, 1e-6);
  ASSERT_EQ(shares.size(), 4u);  // "…/detail" children are not top-level
  const StageShare* export_share = find_share(shares, "export");
  ASSERT_NE(export_share, nullptr);
  EXPECT_EQ(export_share->job_count, 2u);
  EXPECT_DOUBLE_EQ(export_share->mean_ms, (0.3 + 12.0) / 2.0);  // repeats summed per pipeline
}

TEST(ProfilingAnalysisTest, SharesOfALiveProfilerSumTo100) {
  auto profiler = std::move(*Profiler::create({}));
  for (int i = 0; i < 3; ++i) {
    const JobId job = profiler->begin_pipeline("live");
    { const ActiveStageScope a(profiler.get(), job, "a"); }
    {
      const ActiveStageScope b(profiler.get(), job, "b");
      const ActiveStageScope nested(profiler.get(), job, "nested");
    }
    ASSERT_TRUE(profiler->end_pipeline(job));
  }
  double sum = 0.0;
  for (const StageShare& s : profiler->stage_shares()) sum += s.mean_share_percent;
  EXPECT_NEAR(sum, 100.0, 1e-6);
}

TEST(ProfilingAnalysisTest, BottleneckSeverities) {
  // Shares: mesh 45 % (critical), shape 35 % (high), post 15 % (medium at a 10 % threshold), export 5 %.
  std::vector<PipelineProfile> profiles;
  for (int i = 0; i < 4; ++i) {
    profiles.push_back(make_profile(
        "job", {{"shape_generation", 35.0}, {"mesh_extraction", 45.0}, {"post_processing", 15.0}, {"export", 5.0}}));
  }
  const std::vector<Bottleneck> found = find_bottlenecks(profiles, 10.0);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].share.stage, "mesh_extraction");
  EXPECT_EQ(found[0].severity, Severity::kCritical);
  EXPECT_NEAR(found[0].share.mean_share_percent, 45.0, 1e-9);
  EXPECT_EQ(found[1].share.stage, "shape_generation");
  EXPECT_EQ(found[1].severity, Severity::kHigh);
  EXPECT_EQ(found[2].share.stage, "post_processing");
  EXPECT_EQ(found[2].severity, Severity::kMedium);
  EXPECT_EQ(found[2].share.job_count, 4u);

  EXPECT_EQ(find_bottlenecks(profiles, 40.0).size(), 1u);
  EXPECT_EQ(find_bottlenecks(profiles, 15.0).size(), 3u);  // ≥ threshold counts
  EXPECT_EQ(severity_name(Severity::kCritical), "critical");
}

TEST(ProfilingAnalysisTest, ExactlyThirtyAndFortyPercentStayBelowTheNextSeverity) {
  std::vector<PipelineProfile> profiles = {make_profile("job", {{"a", 40.0}, {"b", 30.0}, {"c", 30.0}})};
  const std::vector<Bottleneck> found = find_bottlenecks(profiles, 20.0);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].severity, Severity::kHigh);    // 40 % is not > 40 %
  EXPECT_EQ(found[1].severity, Severity::kMedium);  // 30 % is not > 30 %
}

TEST(ProfilingAnalysisTest, PercentilesOnKnownValues) {
  std::vector<double> values;
  for (int i = 100; i >= 1; --i) values.push_back(i);  // unsorted on purpose
  EXPECT_DOUBLE_EQ(percentile(values, 50.0), 50.5);
  EXPECT_DOUBLE_EQ(percentile(values, 95.0), 95.05);
  EXPECT_DOUBLE_EQ(percentile(values, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(percentile(values, 100.0), 100.0);
  EXPECT_DOUBLE_EQ(percentile({7.0}, 95.0), 7.0);
  EXPECT_DOUBLE_EQ(percentile({}, 50.0), 0.0);
}

TEST(ProfilingAnalysisTest, SummaryStatisticsPerStage) {
  std::vector<PipelineProfile> profiles;
  for (int i = 1; i <= 5; ++i) {
    profiles.push_back(make_profile("job", {{"shape_generation", 10.0 * i}, {"export", 2.0}}));
  }
  const Summary summary = summarize(profiles);
  EXPECT_EQ(summary.pipeline_count, 5u);
  ASSERT_EQ(summary.stages.size(), 2u);
  const StageStats& shape = summary.stages[0];
  EXPECT_EQ(shape.stage, "shape_generation");
  EXPECT_EQ(shape.count, 5u);
  EXPECT_DOUBLE_EQ(shape.mean_ms, 30.0);
  EXPECT_DOUBLE_EQ(shape.p50_ms, 30.0);
  EXPECT_DOUBLE_EQ(shape.p95_ms, 48.0);
  EXPECT_DOUBLE_EQ(shape.min_ms, 10.0);
  EXPECT_DOUBLE_EQ(shape.max_ms, 50.0);
  EXPECT_EQ(shape.trend.direction, TrendDirection::kDegrading);  // 15 ms → 45 ms
  EXPECT_DOUBLE_EQ(shape.trend.change_percent, 200.0);
  EXPECT_EQ(summary.stages[1].trend.direction, TrendDirection::kStable);
  EXPECT_EQ(summary.total.stage, "pipeline");
  EXPECT_DOUBLE_EQ(summary.total.min_ms, 13.0);  // 10 + 2 + 1 ms of gaps
}

TEST(ProfilingAnalysisTest, TrendDetection) {
  const std::vector<double> improving = {100, 100, 100, 80, 80, 80};
  const Trend down = compute_trend(improving);
  EXPECT_EQ(down.direction, TrendDirection::kImproving);
  EXPECT_NEAR(down.change_percent, -20.0, 1e-9);

  const std::vector<double> stable = {100, 104, 99, 103};  // older 102, newer 101
  EXPECT_EQ(compute_trend(stable).direction, TrendDirection::kStable);

  const std::vector<double> degrading = {10, 10, 999, 12, 12};  // odd: the middle is left out
  const Trend up = compute_trend(degrading);
  EXPECT_EQ(up.direction, TrendDirection::kDegrading);
  EXPECT_NEAR(up.change_percent, 20.0, 1e-9);

  const std::vector<double> one = {5};
  EXPECT_EQ(compute_trend(one).direction, TrendDirection::kInsufficientData);
  EXPECT_EQ(trend_name(TrendDirection::kImproving), "improving");
}

TEST(ProfilingAnalysisTest, RecommendationsNameTheStageAndItsShare) {
  std::vector<PipelineProfile> profiles;
  for (int i = 0; i < 20; ++i) {
    profiles.push_back(
        make_profile("job", {{"image_preprocessing", 5.0}, {"mesh_extraction", 62.0}, {"export", 33.0}}));
  }
  AnalysisOptions options;
  options.bottleneck_threshold_percent = 40.0;
  const std::vector<std::string> lines = make_recommendations(profiles, options);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "mesh_extraction takes 62 % of pipeline time (mean 62 ms over 20 jobs): lower --resolution "
            "or use --device cuda");
}

TEST(ProfilingAnalysisTest, RecommendationsMentionMemoryNearTheDeviceTotal) {
  constexpr std::uint64_t kGiB = 1024ull * 1024 * 1024;
  std::vector<PipelineProfile> profiles = {
      make_profile("job", {{"shape_generation", 10.0, 75 * kGiB}, {"mesh_extraction", 10.0, 2 * kGiB}})};
  AnalysisOptions options;
  options.bottleneck_threshold_percent = 60.0;                   // no time findings
  EXPECT_TRUE(make_recommendations(profiles, options).empty());  // total unknown: nothing to compare with
  options.device_memory_total_bytes = 80 * kGiB;
  const std::vector<std::string> lines = make_recommendations(profiles, options);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("shape_generation peaks at 75.0 GiB"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("94 %"), std::string::npos) << lines[0];
}

TEST(ProfilingAnalysisTest, RecommendationsMentionAnIdleGpuAndADegradingTrend) {
  std::vector<PipelineProfile> profiles;
  for (int i = 0; i < 4; ++i) {
    profiles.push_back(make_profile("job", {{"shape_generation", i < 2 ? 10.0 : 20.0, std::nullopt, 2.0}}));
  }
  AnalysisOptions options;
  options.bottleneck_threshold_percent = 100.1;
  const std::vector<std::string> lines = make_recommendations(profiles, options);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("shape_generation keeps the GPU busy only 13 %"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("degrading"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("91 %"), std::string::npos) << lines[1];  // 11 ms → 21 ms
}

}  // namespace
}  // namespace orfeas::profiling
