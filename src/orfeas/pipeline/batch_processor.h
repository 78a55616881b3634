// The batch processor: a queue of image → mesh jobs worked through in batches the GPU optimizer
// sizes, on the pipeline's device (CPU or CUDA). It only groups jobs: every batch goes through
// Pipeline::run_batch, the one path, so a CPU run and a GPU run record the same stages.
//
//   ORFEAS_ASSIGN_OR_RETURN(auto processor, BatchProcessor::create(options));
//   std::vector<JobOutcome> outcomes = processor->run(jobs, [](const JobOutcome& o) { print(o); });
//
// A failing job is reported and skipped; the rest complete. A batch whose volumes or meshes do not
// fit the device's pool together (kOutOfMemory) is split in two and retried — the optimizer raises
// its per-item estimate and counts the event — until a single job that still does not fit fails
// with kOutOfMemory. Each batch's measured peak (the pool's accounting) calibrates the optimizer.
// Both are BatchFitter's (batch_fitter.h), shared with the server's scheduler.
//
// Every job is a profiler pipeline named after its input, with one scope per stage.
//
// Thread-safety: run() is not re-entrant; one BatchProcessor serves one queue at a time.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/gpu/memory_pool.h"
#include "orfeas/gpu/optimizer.h"
#include "orfeas/pipeline/batch_fitter.h"
#include "orfeas/pipeline/pipeline.h"
#include "orfeas/profiling/profiler.h"

namespace orfeas::pipeline {

struct BatchJob {
  BatchJob() = default;
  BatchJob(std::filesystem::path input_, std::filesystem::path output_, exporter::Format format_,
           ProgressCallback progress_ = {})
      : input(std::move(input_)), output(std::move(output_)), format(format_), progress(std::move(progress_)) {}

  std::filesystem::path input;
  std::filesystem::path output;
  exporter::Format format = exporter::Format::kStl;
  ProgressCallback progress;   // this job's stage events (optional; called on worker threads)
  std::filesystem::path mask;  // the user's mask file; empty: the foreground is detected
};

struct JobOutcome {
  BatchJob job;
  Status status;          // the job's error, if it failed
  GenerateReport report;  // when it succeeded
  std::size_t batch = 0;  // which batch (0-based) carried it
};

struct BatchOptions {
  PipelineOptions pipeline;
  // Where the optimizer keeps its calibration (gpu_calibration.json); empty: in memory only.
  std::filesystem::path data_dir;
  // Jobs per batch; 0 lets the optimizer decide. An explicit size that does not fit the device is
  // still split on out-of-memory.
  std::size_t batch_size = 0;
  profiling::Profiler* profiler = nullptr;  // borrowed, may be null
  // The device probe the optimizer reads on a CUDA device (null: NVML's); tests pass a fake.
  std::shared_ptr<gpu::DeviceProbe> probe;
};

class BatchProcessor {
 public:
  // kUnavailable when the CUDA device is asked for and not present (or not built in).
  [[nodiscard]] static Result<std::unique_ptr<BatchProcessor>> create(BatchOptions options);

  // Runs every job; `on_job` (optional) hears each outcome as it completes, on this thread.
  std::vector<JobOutcome> run(const std::vector<BatchJob>& jobs,
                              const std::function<void(const JobOutcome&)>& on_job = {});

  [[nodiscard]] gpu::GpuOptimizer& optimizer() { return *optimizer_; }
  [[nodiscard]] const Pipeline& pipeline() const { return *pipeline_; }
  // The memory pool the batches allocate from (the device's; the host twin on the CPU).
  [[nodiscard]] gpu::MemoryPool* memory_pool() const { return &pipeline_->memory_pool(); }
  // Profiles the following runs (borrowed, may be null): set it after create() when the profiler
  // watches memory_pool().
  void set_profiler(profiling::Profiler* profiler) { options_.profiler = profiler; }
  [[nodiscard]] gpu::JobConfig job_config() const { return pipeline_->job_config(); }
  [[nodiscard]] std::size_t batches_run() const { return batches_run_; }
  // Why the calibration file was ignored (it did not load), for the caller to show once.
  [[nodiscard]] const std::optional<std::string>& calibration_warning() const { return calibration_warning_; }

  BatchProcessor(const BatchProcessor&) = delete;
  BatchProcessor& operator=(const BatchProcessor&) = delete;

 private:
  BatchProcessor(BatchOptions options, std::unique_ptr<Pipeline> pipeline, std::unique_ptr<gpu::GpuOptimizer> optimizer,
                 std::optional<std::string> calibration_warning);

  BatchOptions options_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<gpu::GpuOptimizer> optimizer_;
  BatchFitter fitter_;
  std::optional<std::string> calibration_warning_;
  std::size_t batches_run_ = 0;
};

}  // namespace orfeas::pipeline
