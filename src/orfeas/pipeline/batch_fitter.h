// BatchFitter: one batch through Pipeline::run_batch, fitted to the device — the part of batching
// that the CLI's BatchProcessor and the server's scheduler share.
//
//   BatchFitter fitter(optimizer, pool);                        // one per memory pool
//   FittedBatch run = fitter.run(pipeline, jobs, {.on_out_of_memory = [&](auto&) { ++retries; }});
//   for (JobResult& result : run.results) ...                   // one per job, in order
//
// A batch whose volumes or meshes do not fit the pool together (kOutOfMemory from run_batch) is
// split as the optimizer decides (on_out_of_memory raises its per-item estimate) and both halves
// run, recursively, until each part fits; a single job that still does not fit fails with
// kOutOfMemory. A job never fails for memory while it fits alone.
//
// Calibration: a run that had the pool to itself (no other run of this fitter began or was under
// way meanwhile) gives the optimizer its measured peak — the pool's peak beyond what was allocated
// when it began, over the jobs that reached shape generation. Runs that overlap (the server keeps
// two batches in flight) are not measured, since their peaks mix.
//
// Thread-safety: run() may be called from several threads at once (pipelines sharing the pool).
// The optimizer and the pool are borrowed and must outlive the fitter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

#include "orfeas/gpu/memory_pool.h"
#include "orfeas/gpu/optimizer.h"
#include "orfeas/pipeline/pipeline.h"

namespace orfeas::pipeline {

struct FitHooks {
  // A batch of `size` jobs did not fit and is split as `decision` says.
  std::function<void(std::size_t size, const gpu::OomDecision& decision)> on_out_of_memory;
  // A part of `size` jobs ran to its end (not split).
  std::function<void(std::size_t size)> on_batch;
};

struct FittedBatch {
  std::vector<JobResult> results;     // one per job, in the order given
  std::vector<std::size_t> batch_of;  // per job: which run (0-based, in the order they ended) carried it
  std::size_t batches = 0;            // runs that ended (parts that were split are not counted)
};

class BatchFitter {
 public:
  BatchFitter(gpu::GpuOptimizer& optimizer, gpu::MemoryPool& pool) : optimizer_(optimizer), pool_(pool) {}
  BatchFitter(const BatchFitter&) = delete;
  BatchFitter& operator=(const BatchFitter&) = delete;

  // `pipeline` must allocate from this fitter's pool.
  [[nodiscard]] FittedBatch run(const Pipeline& pipeline, std::span<const Job> jobs, const FitHooks& hooks = {});

 private:
  // One run_batch call; the batch's error is kOutOfMemory (or another batch-wide error).
  [[nodiscard]] Result<std::vector<JobResult>> run_once(const Pipeline& pipeline, std::span<const Job> jobs);
  void run_part(const Pipeline& pipeline, std::span<const Job> jobs, std::size_t offset, const FitHooks& hooks,
                FittedBatch& out);

  gpu::GpuOptimizer& optimizer_;  // borrowed
  gpu::MemoryPool& pool_;         // borrowed
  std::mutex mutex_;
  std::size_t running_ = 0;    // runs under way; guarded by mutex_
  std::uint64_t started_ = 0;  // runs begun so far; guarded by mutex_
};

}  // namespace orfeas::pipeline
