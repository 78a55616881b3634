#include "orfeas/pipeline/batch_processor.h"

#include <algorithm>
#include <string>
#include <utility>

namespace orfeas::pipeline {

Result<std::unique_ptr<BatchProcessor>> BatchProcessor::create(BatchOptions options) {
  ORFEAS_ASSIGN_OR_RETURN(auto pipeline, Pipeline::create(options.pipeline));
  gpu::GpuOptimizer::Options optimizer_options;
  optimizer_options.pool = &pipeline->memory_pool();
  if (pipeline->device().is_cuda()) {
    // On the CPU jobs are sized from system memory: no probe.
    optimizer_options.probe = options.probe != nullptr ? options.probe : gpu::create_default_probe();
    optimizer_options.device = static_cast<std::uint32_t>(pipeline->device().spec.ordinal);
  }
  ORFEAS_ASSIGN_OR_RETURN(auto optimizer, gpu::GpuOptimizer::create(std::move(optimizer_options)));
  // A calibration file that does not load is ignored (never a reason to refuse work) and reported.
  std::optional<std::string> warning;
  if (!options.data_dir.empty()) warning = optimizer->load_calibration(options.data_dir);
  return std::unique_ptr<BatchProcessor>(
      new BatchProcessor(std::move(options), std::move(pipeline), std::move(optimizer), std::move(warning)));
}

BatchProcessor::BatchProcessor(BatchOptions options, std::unique_ptr<Pipeline> pipeline,
                               std::unique_ptr<gpu::GpuOptimizer> optimizer,
                               std::optional<std::string> calibration_warning)
    : options_(std::move(options)),
      pipeline_(std::move(pipeline)),
      optimizer_(std::move(optimizer)),
      fitter_(*optimizer_, pipeline_->memory_pool()),
      calibration_warning_(std::move(calibration_warning)) {}

std::vector<JobOutcome> BatchProcessor::run(const std::vector<BatchJob>& jobs,
                                            const std::function<void(const JobOutcome&)>& on_job) {
  std::vector<JobOutcome> outcomes;
  outcomes.reserve(jobs.size());
  const gpu::JobConfig config = job_config();
  profiling::Profiler* profiler = options_.profiler;
  std::size_t next = 0;
  while (next < jobs.size()) {
    const std::size_t left = jobs.size() - next;
    const std::size_t wanted =
        options_.batch_size > 0 ? options_.batch_size : optimizer_->recommend_batch(config, left).recommended;
    const std::size_t size = std::max<std::size_t>(1, std::min(wanted, left));
    std::vector<Job> batch;
    batch.reserve(size);
    for (std::size_t i = next; i < next + size; ++i) {
      const BatchJob& job = jobs[i];
      const profiling::JobId id =
          profiler != nullptr ? profiler->begin_pipeline(job.input.filename().string()) : profiling::kNoJob;
      Job& item = batch.emplace_back();
      item.input = job.input;
      item.output = job.output;
      item.format = job.format;
      item.mask = job.mask;
      item.context.progress = job.progress;
      item.context.profiler = profiler;
      item.context.job = id;
    }
    FittedBatch run = fitter_.run(*pipeline_, batch);
    if (profiler != nullptr) {
      for (const Job& job : batch) (void)profiler->end_pipeline(job.context.job);
    }
    for (std::size_t i = 0; i < size; ++i) {
      JobOutcome outcome{jobs[next + i], std::move(run.results[i].status), std::move(run.results[i].report),
                         batches_run_ + run.batch_of[i]};
      if (on_job) on_job(outcome);
      outcomes.push_back(std::move(outcome));
    }
    batches_run_ += run.batches;
    next += size;
  }
  return outcomes;
}

}  // namespace orfeas::pipeline
