#include "orfeas/pipeline/batch_fitter.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace orfeas::pipeline {

FittedBatch BatchFitter::run(const Pipeline& pipeline, std::span<const Job> jobs, const FitHooks& hooks) {
  FittedBatch out;
  out.results.resize(jobs.size());
  out.batch_of.resize(jobs.size());
  if (!jobs.empty()) run_part(pipeline, jobs, 0, hooks, out);
  return out;
}

void BatchFitter::run_part(const Pipeline& pipeline, std::span<const Job> jobs, std::size_t offset,
                           const FitHooks& hooks, FittedBatch& out) {
  const gpu::JobConfig config = pipeline.job_config();
  const auto start = std::chrono::steady_clock::now();
  Result<std::vector<JobResult>> results = run_once(pipeline, jobs);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!results && results.error().code() == ErrorCode::kOutOfMemory) {
    const gpu::OomDecision decision = optimizer_.on_out_of_memory(config, jobs.size());
    optimizer_.record_batch(config, jobs.size(), seconds, false);
    if (decision.split) {
      if (hooks.on_out_of_memory) hooks.on_out_of_memory(jobs.size(), decision);
      const std::size_t first = std::clamp<std::size_t>(decision.first_batch, 1, jobs.size() - 1);
      run_part(pipeline, jobs.first(first), offset, hooks, out);
      run_part(pipeline, jobs.subspan(first), offset + first, hooks, out);
      return;
    }
  } else if (results) {
    optimizer_.record_batch(config, jobs.size(), seconds, true);
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    JobResult& result = out.results[offset + i];
    if (results) {
      result = std::move((*results)[i]);
    } else {
      // A single job that does not fit, or a batch-wide error: every job of the part has it.
      result.status = tl::unexpected(results.error());
      result.report.output = jobs[i].output;
      result.report.format = jobs[i].format;
    }
    out.batch_of[offset + i] = out.batches;
  }
  ++out.batches;
  if (hooks.on_batch) hooks.on_batch(jobs.size());
}

Result<std::vector<JobResult>> BatchFitter::run_once(const Pipeline& pipeline, std::span<const Job> jobs) {
  // Measured only when no other run shares the pool meanwhile: its peak is then this batch's.
  bool alone = false;
  std::uint64_t ticket = 0;
  std::uint64_t before = 0;
  {
    const std::lock_guard lock(mutex_);
    alone = running_ == 0;
    ++running_;
    ticket = ++started_;
    if (alone) {
      pool_.reset_peak();
      before = pool_.stats().allocated_bytes;
    }
  }
  Result<std::vector<JobResult>> results = [&] {
    try {
      return pipeline.run_batch(jobs);
    } catch (...) {  // a caller's callback threw: the run is over all the same
      const std::lock_guard lock(mutex_);
      --running_;
      throw;
    }
  }();
  std::uint64_t peak = 0;
  {
    const std::lock_guard lock(mutex_);
    --running_;
    alone = alone && started_ == ticket;
    if (alone) peak = pool_.stats().peak_allocated_bytes;
  }
  if (!results || !alone || peak <= before) return results;
  // Jobs that failed before shape generation took no device memory.
  const auto measured_items =
      static_cast<std::size_t>(std::count_if(results->begin(), results->end(), [](const JobResult& r) {
        const auto& stages = r.report.stages;
        return std::any_of(stages.begin(), stages.end(),
                           [](const StageTiming& s) { return s.name == kShapeGeneration; });
      }));
  if (measured_items > 0) (void)optimizer_.record_measurement(pipeline.job_config(), measured_items, peak - before);
  return results;
}

}  // namespace orfeas::pipeline
