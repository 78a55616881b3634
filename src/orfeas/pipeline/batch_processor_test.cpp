// The batch processor on the CPU (label unit: runs in CI): jobs grouped into batches through the
// one pipeline path, failures kept to their job, and out-of-memory batches split until they fit —
// with the host twin of the device pool given a capacity, so the split runs for real here.
#include "orfeas/pipeline/batch_processor.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "orfeas/gpu/caching_memory_pool.h"
#include "orfeas/gpu/host_memory_pool.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::pipeline {
namespace {

namespace fs = std::filesystem;
using orfeas::testing::TempDir;

const fs::path kData = fs::path(ORFEAS_SOURCE_DIR) / "tests/data";
constexpr int kResolution = 48;

std::unique_ptr<BatchProcessor> make_processor(gpu::MemoryPool* pool, std::size_t batch_size) {
  BatchOptions options;
  options.pipeline.shape.resolution = kResolution;
  options.pipeline.pool = pool;
  options.batch_size = batch_size;
  auto processor = BatchProcessor::create(std::move(options));
  EXPECT_TRUE(processor.has_value()) << processor.error().message();
  return processor ? std::move(*processor) : nullptr;
}

std::vector<BatchJob> disc_jobs(const TempDir& dir, std::size_t count) {
  std::vector<BatchJob> jobs;
  for (std::size_t i = 0; i < count; ++i) {
    jobs.push_back({kData / "disc_rgba.png", dir.file("disc" + std::to_string(i) + ".ply"), exporter::Format::kPly});
  }
  return jobs;
}

// The bytes one item's volume takes from the pool.
std::uint64_t volume_bytes() {
  const auto n = static_cast<std::uint64_t>(kResolution) + 1;
  return gpu::pool_bucket_bytes(4 * n * n * n);
}

TEST(BatchProcessorTest, AFailingJobIsReportedAndTheOthersComplete) {
  const TempDir dir;
  auto processor = make_processor(nullptr, 3);
  ASSERT_TRUE(processor);
  const std::vector<BatchJob> jobs = {
      {kData / "disc_rgba.png", dir.file("disc.stl"), exporter::Format::kStl},
      {dir.file("missing.png"), dir.file("missing.stl"), exporter::Format::kStl},
      {kData / "star_palette.png", dir.file("star.glb"), exporter::Format::kGlb},
  };
  const auto outcomes = processor->run(jobs);
  ASSERT_EQ(outcomes.size(), 3U);
  EXPECT_TRUE(outcomes[0].status.has_value());
  ASSERT_FALSE(outcomes[1].status.has_value());
  EXPECT_NE(outcomes[1].status.error().message().find("missing.png"), std::string::npos);
  EXPECT_TRUE(outcomes[2].status.has_value());
  EXPECT_TRUE(fs::is_regular_file(dir.file("disc.stl")));
  EXPECT_FALSE(fs::exists(dir.file("missing.stl")));
  EXPECT_TRUE(fs::is_regular_file(dir.file("star.glb")));
  EXPECT_EQ(processor->batches_run(), 1U);
}

TEST(BatchProcessorTest, EveryJobRecordsThePipelinesStageNames) {
  const TempDir dir;
  auto processor = make_processor(nullptr, 2);
  ASSERT_TRUE(processor);
  const std::vector<std::string> expected(kStageNames.begin(), kStageNames.end());
  for (const JobOutcome& outcome : processor->run(disc_jobs(dir, 2))) {
    ASSERT_TRUE(outcome.status.has_value()) << outcome.status.error().message();
    std::vector<std::string> names;
    for (const StageTiming& stage : outcome.report.stages) names.push_back(stage.name);
    EXPECT_EQ(names, expected);
  }
}

TEST(BatchProcessorTest, OutOfMemoryBatchIsSplitAndEveryJobCompletes) {
  const TempDir dir;
  // Room for three volumes at once; a batch of eight must be split (8 → 4 + 4 → 2 + 2 ...).
  auto pool = gpu::HostMemoryPool::create({.capacity_bytes = 3 * volume_bytes()});
  ASSERT_TRUE(pool.has_value());
  auto processor = make_processor(pool->get(), 8);
  ASSERT_TRUE(processor);
  const auto outcomes = processor->run(disc_jobs(dir, 8));
  ASSERT_EQ(outcomes.size(), 8U);
  for (const JobOutcome& outcome : outcomes) {
    EXPECT_TRUE(outcome.status.has_value()) << outcome.status.error().message();
    EXPECT_TRUE(fs::is_regular_file(outcome.job.output)) << outcome.job.output;
  }
  EXPECT_GE(processor->optimizer().oom_events(), 2U);  // 8 and 4 did not fit
  EXPECT_GE(processor->batches_run(), 3U);
  EXPECT_GE((*pool)->stats().out_of_memory_count, 2U);
  EXPECT_EQ((*pool)->stats().allocated_bytes, 0U) << "every volume went back to the pool";
  // The failed sizes raised the per-item estimate past a third of the pool.
  EXPECT_GT(processor->optimizer().per_item_estimate(processor->job_config()).first, volume_bytes());
}

TEST(BatchProcessorTest, AJobThatCannotFitAloneFailsAsOutOfMemoryAndWritesNothing) {
  const TempDir dir;
  auto pool = gpu::HostMemoryPool::create({.capacity_bytes = volume_bytes() / 2});
  ASSERT_TRUE(pool.has_value());
  auto processor = make_processor(pool->get(), 2);
  ASSERT_TRUE(processor);
  const auto outcomes = processor->run(disc_jobs(dir, 2));
  ASSERT_EQ(outcomes.size(), 2U);
  for (const JobOutcome& outcome : outcomes) {
    ASSERT_FALSE(outcome.status.has_value());
    EXPECT_EQ(outcome.status.error().code(), ErrorCode::kOutOfMemory) << outcome.status.error().message();
    EXPECT_FALSE(fs::exists(outcome.job.output));
  }
}

TEST(BatchProcessorTest, MeasuredPeakCalibratesTheConfiguration) {
  const TempDir dir;
  auto processor = make_processor(nullptr, 2);
  ASSERT_TRUE(processor);
  const auto before = processor->optimizer().per_item_estimate(processor->job_config());
  EXPECT_EQ(before.second, gpu::Confidence::kLow);
  for (const JobOutcome& outcome : processor->run(disc_jobs(dir, 4))) ASSERT_TRUE(outcome.status.has_value());
  const auto [bytes, confidence] = processor->optimizer().per_item_estimate(processor->job_config());
  // On the CPU the pool holds the volume; the mesh lives in ordinary host memory.
  EXPECT_EQ(bytes, volume_bytes());
  EXPECT_LE(bytes, processor->job_config().model.per_item_bytes) << "the stated need covers the measured peak";
}

}  // namespace
}  // namespace orfeas::pipeline
