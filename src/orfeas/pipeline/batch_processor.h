// The batch processor: a queue of image → mesh jobs worked through in batches the GPU optimizer
// sizes, on the CPU or on a CUDA device. One failing job is reported and skipped; the rest complete.
//
//   ORFEAS_ASSIGN_OR_RETURN(auto processor, BatchProcessor::create(options));
//   std::vector<JobOutcome> outcomes = processor->run(jobs, [](const JobOutcome& o) { print(o); });
//
// On the CUDA device, shape generation and mesh extraction of a whole batch run on the device with
// every item's volume resident at once; the batch's measured peak calibrates the optimizer's
// per-item estimate, and an out-of-memory batch is split in two and retried (the optimizer raises
// its estimate and counts the event). The other stages run on the CPU, the batch's jobs side by side.
//
// Every job is a profiler pipeline named after its input, with one scope per stage.
//
// Thread-safety: run() is not re-entrant; one BatchProcessor serves one queue at a time.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/gpu/memory_pool.h"
#include "orfeas/gpu/optimizer.h"
#include "orfeas/pipeline/pipeline.h"
#include "orfeas/profiling/profiler.h"

namespace orfeas::pipeline {

enum class Device { kCpu, kCuda };

// On the device, sampling and marching cubes of a batch are one step, timed under this name in
// each job's profile (the batch's wall time; GPU time from events on the batch's stream).
inline constexpr std::string_view kDeviceSurfaceStage = "gpu_volume_and_surface";

// "cpu" | "cuda" → Device; kInvalidArgument otherwise.
[[nodiscard]] Result<Device> parse_device(std::string_view name);

struct BatchJob {
  std::filesystem::path input;
  std::filesystem::path output;
  exporter::Format format = exporter::Format::kStl;
};

struct JobOutcome {
  BatchJob job;
  Status status;           // the job's error, if it failed
  GenerateReport report;   // when it succeeded
  std::size_t batch = 0;   // which batch (0-based) carried it
};

struct BatchOptions {
  PipelineOptions pipeline;
  Device device = Device::kCpu;
  int cuda_device = 0;
  // Where the optimizer keeps its calibration (gpu_calibration.json); empty: in memory only.
  std::filesystem::path data_dir;
  // Jobs per batch; 0 lets the optimizer decide. An explicit size that does not fit the device is
  // still split on out-of-memory.
  std::size_t batch_size = 0;
  profiling::Profiler* profiler = nullptr;  // borrowed, may be null
  ProgressCallback progress;                // stage events of CPU jobs (optional)
};

class BatchProcessor {
 public:
  // kUnavailable when the CUDA device is asked for and not present (or not built in).
  [[nodiscard]] static Result<std::unique_ptr<BatchProcessor>> create(BatchOptions options);

  // Runs every job; `on_job` (optional) hears each outcome as it completes, on this thread.
  std::vector<JobOutcome> run(const std::vector<BatchJob>& jobs,
                              const std::function<void(const JobOutcome&)>& on_job = {});

  [[nodiscard]] gpu::GpuOptimizer& optimizer() { return *optimizer_; }
  // The device memory pool the batches allocate from; nullptr on the CPU.
  [[nodiscard]] gpu::MemoryPool* memory_pool() const;
  // Profiles the following runs (borrowed, may be null): set it after create() when the profiler
  // watches memory_pool().
  void set_profiler(profiling::Profiler* profiler) { options_.profiler = profiler; }
  [[nodiscard]] gpu::JobConfig job_config() const;
  [[nodiscard]] std::size_t batches_run() const { return batches_run_; }

  ~BatchProcessor();
  BatchProcessor(const BatchProcessor&) = delete;
  BatchProcessor& operator=(const BatchProcessor&) = delete;

 private:
  struct DeviceState;
  BatchProcessor(BatchOptions options, std::unique_ptr<Pipeline> pipeline, std::unique_ptr<DeviceState> device,
                 std::unique_ptr<gpu::GpuOptimizer> optimizer);

  // One batch on the CPU: its jobs through the whole pipeline, side by side.
  void run_cpu_batch(std::vector<JobOutcome>& batch);
  // One batch on the device; kOutOfMemory when the batch did not fit (nothing was written).
  [[nodiscard]] Status run_device_batch(std::vector<JobOutcome>& batch);

  BatchOptions options_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<DeviceState> device_;  // null on the CPU
  std::unique_ptr<gpu::GpuOptimizer> optimizer_;
  std::size_t batches_run_ = 0;
};

}  // namespace orfeas::pipeline
