// The batch processor on a real CUDA device (label gpu: run on the GPU machine). The device path
// must write what the CPU path writes and record the same stages, the stages' stated memory need
// must cover the measured peak, and a batch too large for the card (sized from its free memory,
// whatever the card) must be split until it fits, losing no job.
#include "orfeas/pipeline/batch_processor.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::pipeline {
namespace {

namespace fs = std::filesystem;
using orfeas::testing::TempDir;

const fs::path kData = fs::path(ORFEAS_SOURCE_DIR) / "tests/data";
const fs::path kDuck = fs::path(ORFEAS_SOURCE_DIR) / "examples/duck.png";

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

constexpr gpu::DeviceSpec kCpu{gpu::DeviceKind::kCpu, 0};
constexpr gpu::DeviceSpec kCuda{gpu::DeviceKind::kCuda, 0};

std::vector<std::string> stage_names(const GenerateReport& report) {
  std::vector<std::string> names;
  for (const StageTiming& stage : report.stages) names.push_back(stage.name);
  return names;
}

std::unique_ptr<BatchProcessor> make_processor(gpu::DeviceSpec device, int resolution, std::size_t batch_size = 0,
                                               float border = 0.15F) {
  BatchOptions options;
  options.pipeline.device = device;
  options.pipeline.shape.resolution = resolution;
  options.pipeline.preprocess.border_ratio = border;
  options.batch_size = batch_size;
  auto processor = BatchProcessor::create(std::move(options));
  EXPECT_TRUE(processor.has_value()) << processor.error().message();
  return processor ? std::move(*processor) : nullptr;
}

TEST(BatchProcessorGpuTest, DeviceWritesTheSameFilesAsTheCpu) {
  const TempDir dir;
  for (const char* image : {"disc_rgba.png", "star_palette.png", "photo_object.jpg"}) {
    for (int resolution : {128, 256}) {
      const fs::path cpu_out = dir.file(std::string("cpu_") + image + ".ply");
      const fs::path gpu_out = dir.file(std::string("gpu_") + image + ".ply");
      auto cpu = make_processor(kCpu, resolution);
      auto gpu = make_processor(kCuda, resolution);
      ASSERT_TRUE(cpu && gpu);
      const auto cpu_run = cpu->run({{kData / image, cpu_out, exporter::Format::kPly}});
      const auto gpu_run = gpu->run({{kData / image, gpu_out, exporter::Format::kPly}});
      ASSERT_TRUE(cpu_run.at(0).status.has_value()) << cpu_run.at(0).status.error().message();
      ASSERT_TRUE(gpu_run.at(0).status.has_value()) << gpu_run.at(0).status.error().message();
      EXPECT_EQ(gpu_run.at(0).report.faces, cpu_run.at(0).report.faces) << image << " at " << resolution;
      EXPECT_TRUE(read_bytes(cpu_out) == read_bytes(gpu_out)) << image << " at " << resolution << ": files differ";
      EXPECT_EQ(stage_names(gpu_run.at(0).report), stage_names(cpu_run.at(0).report));
    }
  }
}

TEST(BatchProcessorGpuTest, TheLastDeviceRunsThePipelineLikeTheCpu) {
  const int devices = gpu::cuda_device_count();
  if (devices < 2) GTEST_SKIP() << "one CUDA device: cuda:N for N > 0 needs a machine with several";
  const TempDir dir;
  const fs::path cpu_out = dir.file("cpu.ply");
  const fs::path gpu_out = dir.file("gpu.ply");
  auto cpu = make_processor(kCpu, 192);
  auto last = make_processor({gpu::DeviceKind::kCuda, devices - 1}, 192);
  ASSERT_TRUE(cpu && last);
  EXPECT_EQ(last->memory_pool()->name(), "cuda:" + std::to_string(devices - 1));
  const auto cpu_run = cpu->run({{kDuck, cpu_out, exporter::Format::kPly}});
  const auto gpu_run = last->run({{kDuck, gpu_out, exporter::Format::kPly}});
  ASSERT_TRUE(cpu_run.at(0).status.has_value()) << cpu_run.at(0).status.error().message();
  ASSERT_TRUE(gpu_run.at(0).status.has_value()) << gpu_run.at(0).status.error().message();
  EXPECT_TRUE(read_bytes(cpu_out) == read_bytes(gpu_out)) << "files differ";
  EXPECT_GT(last->memory_pool()->stats().peak_allocated_bytes, 0U) << "the work used the last device's pool";
}

TEST(BatchProcessorGpuTest, StatedMemoryNeedCoversTheMeasuredPeak) {
  const TempDir dir;
  for (int resolution : {256, 512, 768}) {
    auto processor = make_processor(kCuda, resolution, 4);
    ASSERT_TRUE(processor);
    std::vector<BatchJob> jobs;
    for (int i = 0; i < 4; ++i)
      jobs.push_back({kDuck, dir.file("duck" + std::to_string(i) + ".stl"), exporter::Format::kStl});
    for (const auto& outcome : processor->run(jobs))
      ASSERT_TRUE(outcome.status.has_value()) << outcome.status.error().message();
    const gpu::JobConfig config = processor->job_config();
    const auto [measured, confidence] = processor->optimizer().per_item_estimate(config);
    const std::uint64_t stated = config.model.per_item_bytes;
    const double ratio = static_cast<double>(stated) / static_cast<double>(measured);
    std::printf("resolution %d: stated %.1f MiB per item, measured peak %.1f MiB per item (ratio %.3f)\n", resolution,
                static_cast<double>(stated) / 1048576.0, static_cast<double>(measured) / 1048576.0, ratio);
    EXPECT_GE(ratio, 1.0) << "the stated need must cover the peak at resolution " << resolution;
    EXPECT_LE(ratio, 1.5) << "and not overstate it by much, at resolution " << resolution;
  }
}

TEST(BatchProcessorGpuTest, OutOfMemoryBatchIsSplitAndEveryJobCompletes) {
  // One batch of more items than the card's free memory holds, whatever the card (80 GB, 141 GB).
  const TempDir dir;
  auto memory = gpu::cuda_memory_info(0);
  ASSERT_TRUE(memory.has_value()) << memory.error().message();
  auto probe = make_processor(kCuda, 1024, 1, /*border=*/0.6F);
  ASSERT_TRUE(probe);
  const std::uint64_t per_item = probe->job_config().model.per_item_bytes;
  probe.reset();
  const std::size_t items = static_cast<std::size_t>(memory->free_bytes / per_item) + 3;
  auto processor = make_processor(kCuda, 1024, items, /*border=*/0.6F);
  ASSERT_TRUE(processor);
  std::vector<BatchJob> jobs;
  for (std::size_t i = 0; i < items; ++i) {
    jobs.push_back({kData / "disc_rgba.png", dir.file("disc" + std::to_string(i) + ".ply"), exporter::Format::kPly});
  }
  const auto outcomes = processor->run(jobs);
  ASSERT_EQ(outcomes.size(), items);
  for (const auto& outcome : outcomes) {
    EXPECT_TRUE(outcome.status.has_value()) << outcome.job.input << ": " << outcome.status.error().message();
    EXPECT_TRUE(fs::is_regular_file(outcome.job.output));
  }
  EXPECT_GE(processor->optimizer().oom_events(), 1U);
  EXPECT_GE(processor->batches_run(), 2U);
  std::printf("%zu jobs at 1024^3 (%.0f GB free) in %zu batches after %llu out-of-memory events\n", items,
              static_cast<double>(memory->free_bytes) / 1e9, processor->batches_run(),
              static_cast<unsigned long long>(processor->optimizer().oom_events()));
}

}  // namespace
}  // namespace orfeas::pipeline
