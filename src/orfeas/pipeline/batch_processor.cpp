#include "orfeas/pipeline/batch_processor.h"

#include <algorithm>
#include <chrono>
#include <deque>
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
      calibration_warning_(std::move(calibration_warning)) {}

std::vector<JobOutcome> BatchProcessor::run(const std::vector<BatchJob>& jobs,
                                            const std::function<void(const JobOutcome&)>& on_job) {
  std::vector<JobOutcome> outcomes;
  outcomes.reserve(jobs.size());
  const gpu::JobConfig config = job_config();
  std::deque<BatchJob> queue(jobs.begin(), jobs.end());
  // Halves of a batch that ran out of memory, tried before anything new.
  std::deque<std::vector<BatchJob>> retries;
  while (!queue.empty() || !retries.empty()) {
    std::vector<BatchJob> taken;
    if (!retries.empty()) {
      taken = std::move(retries.front());
      retries.pop_front();
    } else {
      const std::size_t wanted =
          options_.batch_size > 0 ? options_.batch_size : optimizer_->recommend_batch(config, queue.size()).recommended;
      const std::size_t size = std::max<std::size_t>(1, std::min(wanted, queue.size()));
      for (std::size_t i = 0; i < size; ++i) {
        taken.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    std::vector<JobOutcome> batch;
    for (auto& job : taken) batch.push_back(JobOutcome{std::move(job), ok(), {}, batches_run_});
    const auto start = std::chrono::steady_clock::now();
    const Status status = run_batch(batch);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!status && status.error().code() != ErrorCode::kOutOfMemory) {
      for (auto& outcome : batch) outcome.status = status;
    } else if (!status) {
      const gpu::OomDecision decision = optimizer_->on_out_of_memory(config, batch.size());
      optimizer_->record_batch(config, batch.size(), seconds, false);
      if (decision.split) {
        std::vector<BatchJob> first;
        std::vector<BatchJob> second;
        for (std::size_t i = 0; i < batch.size(); ++i) {
          (i < decision.first_batch ? first : second).push_back(std::move(batch[i].job));
        }
        retries.push_front(std::move(second));
        retries.push_front(std::move(first));
        continue;
      }
      batch.front().status = status;  // a single job that does not fit
    } else {
      optimizer_->record_batch(config, batch.size(), seconds, true);
    }
    ++batches_run_;
    for (auto& outcome : batch) {
      if (on_job) on_job(outcome);
      outcomes.push_back(std::move(outcome));
    }
  }
  return outcomes;
}

Status BatchProcessor::run_batch(std::vector<JobOutcome>& batch) {
  profiling::Profiler* profiler = options_.profiler;
  std::vector<Job> jobs;
  jobs.reserve(batch.size());
  for (const JobOutcome& outcome : batch) {
    const profiling::JobId id =
        profiler != nullptr ? profiler->begin_pipeline(outcome.job.input.filename().string()) : profiling::kNoJob;
    jobs.push_back({outcome.job.input, outcome.job.output, outcome.job.format,
                    RunContext{.progress = outcome.job.progress, .profiler = profiler, .job = id}});
  }
  gpu::MemoryPool& pool = pipeline_->memory_pool();
  pool.reset_peak();
  const std::uint64_t before = pool.stats().allocated_bytes;
  Result<std::vector<JobResult>> results = pipeline_->run_batch(jobs);
  const std::uint64_t peak = pool.stats().peak_allocated_bytes;
  if (profiler != nullptr) {
    for (const Job& job : jobs) (void)profiler->end_pipeline(job.context.job);
  }
  if (!results) return tl::unexpected(results.error());  // kOutOfMemory: the caller splits
  std::size_t measured_items = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    JobResult& result = (*results)[i];
    batch[i].status = std::move(result.status);
    batch[i].report = std::move(result.report);
    // Jobs that failed before shape generation took no device memory.
    const auto& stages = batch[i].report.stages;
    if (std::any_of(stages.begin(), stages.end(), [](const StageTiming& s) { return s.name == kShapeGeneration; })) {
      ++measured_items;
    }
  }
  if (measured_items > 0 && peak > before) {
    (void)optimizer_->record_measurement(job_config(), measured_items, peak - before);
  }
  return ok();
}

}  // namespace orfeas::pipeline
