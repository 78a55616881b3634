#include "orfeas/gpu/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "orfeas/gpu/host_memory_pool.h"
#include "orfeas/gpu/testing/fake_probe.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::gpu {
namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

struct Fixture {
  std::shared_ptr<fake::FakeProbe> probe = std::make_shared<fake::FakeProbe>();
  std::unique_ptr<GpuOptimizer> optimizer;

  explicit Fixture(std::uint64_t total = 80 * kGiB, std::uint64_t free = 80 * kGiB, MemoryPool* pool = nullptr) {
    probe->readings = {fake::device(total, free)};
    auto created = GpuOptimizer::create({.probe = probe, .pool = pool, .cpu_workers = 2});
    EXPECT_TRUE(created);
    optimizer = std::move(*created);
  }
  void set_free(std::uint64_t free) {
    probe->readings[0].free_bytes = free;
    probe->readings[0].used_bytes = probe->readings[0].total_bytes - free;
  }
};

bool has(const std::vector<Advice>& advice, AdviceKind kind) {
  for (const Advice& a : advice) {
    if (a.kind == kind) return true;
  }
  return false;
}

// A configuration as the pipeline states it: its calibration key and its stages' memory need.
JobConfig make_config(std::string key, std::uint64_t per_item_bytes, std::uint64_t weights_bytes = 0) {
  return {std::move(key), {weights_bytes, per_item_bytes}};
}
const JobConfig kR256 = make_config("inflate/cuda/r256", 90'000'000);

std::size_t expected_fit(std::uint64_t total, std::uint64_t used, std::uint64_t per_item) {
  const double usable = std::max(0.0, std::floor(0.85 * static_cast<double>(total)) - static_cast<double>(used));
  const double margin = std::floor(0.10 * usable);
  return static_cast<std::size_t>(std::floor((usable - margin) / static_cast<double>(per_item)));
}

TEST(GpuOptimizer, RejectsBadOptions) {
  EXPECT_FALSE(GpuOptimizer::create({.target_utilization = 0}));
  EXPECT_FALSE(GpuOptimizer::create({.target_utilization = 1.5}));
  EXPECT_FALSE(GpuOptimizer::create({.safety_margin = 1.0}));
  EXPECT_FALSE(GpuOptimizer::create({.max_batch = 0}));
}

TEST(GpuOptimizer, FitLimitIsTheBudgetOverThePerItemEstimate) {
  Fixture f(80 * kGiB, 60 * kGiB);
  const JobConfig config = kR256;
  const std::uint64_t per_item = config.model.per_item_bytes;
  const BatchRecommendation r = f.optimizer->recommend_batch(config, 1000);
  EXPECT_EQ(r.mode, "cuda");
  EXPECT_EQ(r.bytes_per_item, per_item);
  EXPECT_EQ(r.confidence, Confidence::kLow);
  EXPECT_EQ(r.fit_limit, expected_fit(80 * kGiB, 20 * kGiB, per_item));  // (0.85·80 − 20) GiB · 0.9 / 90 MB ≈ 515
  EXPECT_EQ(r.max_safe, 64u);                                            // max_batch
  EXPECT_EQ(r.recommended, 48u);                                         // low confidence: 0.75 · 64
  EXPECT_NE(r.reason.find("GPU 0"), std::string::npos) << r.reason;
}

TEST(GpuOptimizer, QueueCapsAndEmptyQueueGivesZero) {
  Fixture f;
  const BatchRecommendation three = f.optimizer->recommend_batch(kR256, 3);
  EXPECT_EQ(three.max_safe, 3u);
  EXPECT_LE(three.recommended, 3u);
  EXPECT_GE(three.recommended, 1u);
  const BatchRecommendation none = f.optimizer->recommend_batch(kR256, 0);
  EXPECT_EQ(none.recommended, 0u);
  EXPECT_EQ(none.max_safe, 0u);
}

TEST(GpuOptimizer, NotEvenOneItemFitsSaysSoAndOffersOne) {
  Fixture f(16 * kGiB, 2 * kGiB);  // used 14 GiB > 0.85 · 16 GiB
  const BatchRecommendation r = f.optimizer->recommend_batch(kR256, 10);
  EXPECT_EQ(r.fit_limit, 0u);
  EXPECT_EQ(r.recommended, 1u);
  EXPECT_EQ(r.max_safe, 1u);
  EXPECT_NE(r.reason.find("Not even one item"), std::string::npos) << r.reason;
}

TEST(GpuOptimizer, PropertiesHoldOverRandomReadings) {
  std::mt19937_64 random(12345);
  auto pick = [&](std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(random);
  };
  for (int trial = 0; trial < 300; ++trial) {
    const std::uint64_t total = pick(4, 160) * kGiB;
    Fixture f(total, total);
    JobConfig config = make_config("random", pick(1 << 20, 5 * kGiB));
    if (trial % 3 == 0) config.model.weights_bytes = pick(0, 6 * kGiB);  // a neural backend's weights
    const std::size_t queue = pick(0, 200);
    std::size_t previous_recommended = 0;
    std::size_t previous_max = 0;
    for (std::uint64_t free = 0; free <= total; free += total / 37 + 1) {
      f.set_free(free);
      const BatchRecommendation r = f.optimizer->recommend_batch(config, queue);
      if (queue == 0) {
        EXPECT_EQ(r.recommended, 0u);
        EXPECT_EQ(r.max_safe, 0u);
        continue;
      }
      EXPECT_GE(r.recommended, 1u);
      EXPECT_LE(r.recommended, r.max_safe);
      EXPECT_LE(r.max_safe, queue);
      if (r.fit_limit >= 1) {
        EXPECT_LE(r.max_safe, r.fit_limit);
        EXPECT_LE(static_cast<double>(r.fixed_bytes + r.max_safe * r.bytes_per_item),
                  0.85 * static_cast<double>(total));
      }
      EXPECT_EQ(r.fit_limit, static_cast<std::size_t>(r.budget_bytes / r.bytes_per_item));
      EXPECT_GE(r.recommended, previous_recommended) << "free " << free << " of " << total;
      EXPECT_GE(r.max_safe, previous_max);
      previous_recommended = r.recommended;
      previous_max = r.max_safe;
    }
  }
}

TEST(GpuOptimizer, CalibrationReplacesTheModelAndPersists) {
  const ::orfeas::testing::TempDir dir;
  const JobConfig config = kR256;
  const double x = 400e6;  // measured: more than the model's 90 MB
  {
    Fixture f;
    ASSERT_FALSE(f.optimizer->load_calibration(dir.path()).has_value()) << "no file yet: nothing to say";
    std::mt19937 random(3);
    std::uniform_real_distribution<double> noise(-0.02, 0.02);
    for (int i = 0; i < 20; ++i) {
      const std::size_t items = 1 + static_cast<std::size_t>(i % 4);
      const auto peak = static_cast<std::uint64_t>(x * (1 + noise(random)) * static_cast<double>(items));
      ASSERT_TRUE(f.optimizer->record_measurement(config, items, peak));
    }
    const auto [bytes, confidence] = f.optimizer->per_item_estimate(config);
    EXPECT_NEAR(static_cast<double>(bytes), x, 0.05 * x);
    EXPECT_EQ(confidence, Confidence::kHigh);
    const BatchRecommendation r = f.optimizer->recommend_batch(config, 10);
    EXPECT_EQ(r.recommended, r.max_safe);  // high confidence: no discount
  }
  Fixture restarted;  // a new process: same numbers from disk
  ASSERT_FALSE(restarted.optimizer->load_calibration(dir.path()).has_value());
  const auto [bytes, confidence] = restarted.optimizer->per_item_estimate(config);
  EXPECT_NEAR(static_cast<double>(bytes), x, 0.05 * x);
  EXPECT_EQ(confidence, Confidence::kHigh);
  EXPECT_EQ(restarted.optimizer->per_item_estimate(make_config("inflate/cuda/r128", 22'000'000)).second,
            Confidence::kLow);
}

TEST(GpuOptimizer, ACalibrationFileThatDoesNotLoadIsReportedAndReplaced) {
  const ::orfeas::testing::TempDir dir;
  std::ofstream(dir.file("gpu_calibration.json")) << R"({"version":2})";
  Fixture f;
  const auto warning = f.optimizer->load_calibration(dir.path());
  ASSERT_TRUE(warning.has_value());
  EXPECT_NE(warning->find("gpu_calibration.json"), std::string::npos) << *warning;
  EXPECT_EQ(f.optimizer->per_item_estimate(kR256).second, Confidence::kLow);  // started empty
  EXPECT_GE(f.optimizer->recommend_batch(kR256, 4).recommended, 1U);          // and works
  ASSERT_TRUE(f.optimizer->record_measurement(kR256, 2, 200'000'000));        // rewrites the file
  Fixture restarted;
  EXPECT_FALSE(restarted.optimizer->load_calibration(dir.path()).has_value());
  EXPECT_EQ(restarted.optimizer->per_item_estimate(kR256).first, 100'000'000U);
}

TEST(GpuOptimizer, OutOfMemorySplitsRaisesTheEstimateAndCounts) {
  Fixture f(80 * kGiB, 80 * kGiB);
  const JobConfig config = make_config("inflate/cuda/r512", 600'000'000);
  const std::size_t before = f.optimizer->recommend_batch(config, 1000).fit_limit;
  ASSERT_GT(before, 7u);
  const OomDecision d = f.optimizer->on_out_of_memory(config, 7);
  EXPECT_TRUE(d.split);
  EXPECT_EQ(d.first_batch, 4u);
  EXPECT_EQ(d.second_batch, 3u);
  EXPECT_FALSE(d.save_error.has_value());
  EXPECT_EQ(f.optimizer->oom_events(), 1u);
  const BatchRecommendation after = f.optimizer->recommend_batch(config, 1000);
  EXPECT_EQ(after.bytes_per_item, d.raised_bytes_per_item);
  EXPECT_LT(after.fit_limit, 7u);  // the failed size is no longer offered
  EXPECT_GE(after.max_safe, 1u);

  const OomDecision single = f.optimizer->on_out_of_memory(config, 1);
  EXPECT_FALSE(single.split);
  EXPECT_NE(single.reason.find("failed"), std::string::npos);
  EXPECT_GT(single.raised_bytes_per_item, d.raised_bytes_per_item);
  EXPECT_EQ(f.optimizer->oom_events(), 2u);
  EXPECT_TRUE(has(f.optimizer->recommendations(), AdviceKind::kOutOfMemory));
}

TEST(GpuOptimizer, CpuModeWhenTheProbeFails) {
  Fixture f;
  f.probe->error = Error(ErrorCode::kUnavailable, "cannot load libnvidia-ml.so.1");
  const BatchRecommendation r = f.optimizer->recommend_batch(make_config("inflate/cpu/r128", 22'000'000), 100);
  EXPECT_EQ(r.mode, "cpu");
  EXPECT_EQ(r.recommended, 2u);  // one per worker
  EXPECT_GE(r.max_safe, r.recommended);
  EXPECT_NE(r.reason.find("CPU mode"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("libnvidia-ml"), std::string::npos) << r.reason;

  const MemoryProfile profile = f.optimizer->memory_profile();
  EXPECT_EQ(profile.mode, "cpu");
  EXPECT_TRUE(profile.devices.empty());
  EXPECT_GT(profile.system.total_bytes, 0u);
  EXPECT_FALSE(profile.probe_error.empty());
}

TEST(GpuOptimizer, MemoryProfileInCudaModeCarriesDevicesAndPoolStats) {
  auto pool = HostMemoryPool::create({});
  ASSERT_TRUE(pool);
  Fixture f(80 * kGiB, 70 * kGiB, pool->get());
  auto block = (*pool)->allocate(3 * kMiB);
  ASSERT_TRUE(block);
  const MemoryProfile profile = f.optimizer->memory_profile();
  EXPECT_EQ(profile.mode, "cuda");
  ASSERT_EQ(profile.devices.size(), 1u);
  ASSERT_TRUE(profile.allocator.has_value());
  EXPECT_EQ(profile.allocator->allocated_bytes, 4 * kMiB);
  EXPECT_EQ(profile.allocator_name, "host");
}

TEST(GpuOptimizer, ReleaseCacheReturnsThePoolsFreedBytes) {
  auto pool = HostMemoryPool::create({});
  ASSERT_TRUE(pool);
  Fixture f(80 * kGiB, 80 * kGiB, pool->get());
  {
    auto a = (*pool)->allocate(300 * kMiB), b = (*pool)->allocate(10 * kMiB);
    ASSERT_TRUE(a && b);
  }
  EXPECT_TRUE(has(f.optimizer->recommendations(), AdviceKind::kReleaseCache));
  EXPECT_EQ(f.optimizer->release_cache(), 310 * kMiB);
  EXPECT_EQ((*pool)->stats().reserved_bytes, 0u);
  EXPECT_FALSE(has(f.optimizer->recommendations(), AdviceKind::kReleaseCache));
  Fixture no_pool;
  EXPECT_EQ(no_pool.optimizer->release_cache(), 0u);
}

TEST(GpuOptimizer, UtilisationAndCapacityAdvice) {
  Fixture busy(80 * kGiB, 40 * kGiB);
  busy.probe->readings[0].compute_busy_percent = 95;
  EXPECT_FALSE(has(busy.optimizer->recommendations(), AdviceKind::kUnderUtilised));
  EXPECT_FALSE(has(busy.optimizer->recommendations(), AdviceKind::kNearCapacity));

  Fixture idle(80 * kGiB, 4 * kGiB);
  idle.probe->readings[0].compute_busy_percent = 12;
  for (int i = 0; i < 5; ++i) idle.optimizer->sample();
  const auto advice = idle.optimizer->recommendations();
  EXPECT_TRUE(has(advice, AdviceKind::kUnderUtilised));
  EXPECT_TRUE(has(advice, AdviceKind::kNearCapacity));
  EXPECT_FALSE(has(advice, AdviceKind::kPossibleLeak));
}

TEST(GpuOptimizer, LeakTrendDetectedOnlyForASteadySignificantRise) {
  Fixture leaking;
  for (int i = 0; i < 20; ++i) {
    leaking.optimizer->record_sample(
        {.seconds = i * 1.0, .allocated_bytes = 1 * kGiB + static_cast<std::uint64_t>(i) * 20 * kMiB});
  }
  const MemoryTrend trend = leaking.optimizer->memory_trend();
  EXPECT_NEAR(trend.slope_bytes_per_second, 20.0 * kMiB, 1.0);
  EXPECT_NEAR(trend.r_squared, 1.0, 1e-9);
  EXPECT_TRUE(trend.looks_like_leak);
  EXPECT_TRUE(has(leaking.optimizer->recommendations(), AdviceKind::kPossibleLeak));

  Fixture sawtooth;  // batches allocate and free: no trend
  for (int i = 0; i < 20; ++i) {
    sawtooth.optimizer->record_sample({.seconds = i * 1.0, .allocated_bytes = (i % 2 == 0 ? 1 : 3) * kGiB});
  }
  EXPECT_FALSE(sawtooth.optimizer->memory_trend().looks_like_leak);
  EXPECT_FALSE(has(sawtooth.optimizer->recommendations(), AdviceKind::kPossibleLeak));

  Fixture small;  // steady but tiny rise
  for (int i = 0; i < 20; ++i)
    small.optimizer->record_sample(
        {.seconds = i * 1.0, .allocated_bytes = kGiB + static_cast<std::uint64_t>(i) * kMiB});
  EXPECT_FALSE(small.optimizer->memory_trend().looks_like_leak);
}

TEST(GpuOptimizer, SampleWindowIsBounded) {
  auto probe = std::make_shared<fake::FakeProbe>();
  probe->readings = {fake::device(kGiB, kGiB)};
  auto optimizer = GpuOptimizer::create({.probe = probe, .sample_window = 10});
  ASSERT_TRUE(optimizer);
  for (int i = 0; i < 25; ++i) (*optimizer)->sample();
  EXPECT_EQ((*optimizer)->memory_trend().samples, 10u);
}

TEST(GpuOptimizer, BestBatchSizeFromRecordedTimings) {
  Fixture f;
  const JobConfig config = kR256;
  f.optimizer->record_batch(config, 4, 2.0, true);                                // 2 items/s
  EXPECT_FALSE(has(f.optimizer->recommendations(), AdviceKind::kBestBatchSize));  // one size only
  f.optimizer->record_batch(config, 8, 2.0, true);                                // 4 items/s
  f.optimizer->record_batch(config, 16, 1.0, false);                              // failed: ignored
  const auto advice = f.optimizer->recommendations();
  ASSERT_TRUE(has(advice, AdviceKind::kBestBatchSize));
  for (const Advice& a : advice) {
    if (a.kind != AdviceKind::kBestBatchSize) continue;
    EXPECT_NE(a.message.find("batches of 8 ran fastest"), std::string::npos) << a.message;
  }
}

}  // namespace
}  // namespace orfeas::gpu
