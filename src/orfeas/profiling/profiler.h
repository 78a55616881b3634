// The profiler: many pipeline runs at once, each a tree of timed stages, with GPU time and peak
// device memory per stage, a bounded history of finished runs and the analysis of that history.
//
//   Profiler::Options options;
//   options.gpu_timer = ...;         // optional: cuda/cuda_event_timer.h
//   options.memory_watermark = ...;  // optional: peak device memory per top-level stage
//   ORFEAS_ASSIGN_OR_RETURN(std::unique_ptr<Profiler> profiler, Profiler::create(std::move(options)));
//
//   JobId job = profiler->begin_pipeline("cat.png");             // any thread
//   { ORFEAS_PROFILE_SCOPE(profiler.get(), job, "shape_generation"); ... }   // stage_scope.h
//   ORFEAS_ASSIGN_OR_RETURN(PipelineProfile profile, profiler->end_pipeline(job));
//
//   profiler->bottlenecks(20.0);  profiler->recommendations();  profiler->summary();
//   profiler->export_report("profile.json");  profiler->export_trace("trace.json");
//
// There is no "current pipeline": every scope names its job, so concurrent jobs never mix.
// GPU time is not read while a stage runs; end_pipeline collects it (and may wait for the device
// there, and only there).
//
// Thread-safety: every method may be called from any thread at once. Each job keeps one stage
// buffer per thread that opened scopes on it, found through the job table (sharded, locked only to
// look a job up) once per job and thread and then cached in the thread; a scope locks only its own
// thread's buffer (stage_scope.h). Options are fixed at create(). The Profiler must outlive the
// scopes opened on it.
// Units: as in profile.h.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/profiling/analysis.h"
#include "orfeas/profiling/gpu_timer.h"
#include "orfeas/profiling/memory_watermark.h"
#include "orfeas/profiling/profile.h"
#include "orfeas/profiling/report.h"
#include "orfeas/profiling/stage_scope.h"

namespace orfeas::profiling {

namespace detail {
struct JobShard;
struct ThreadBuffer;
}  // namespace detail

class Profiler {
 public:
  struct Options {
    std::size_t history_capacity = 1000;                     // finished profiles kept; the oldest are dropped
    std::unique_ptr<GpuTimer> gpu_timer;                     // optional; used for scopes given a stream
    std::shared_ptr<MemoryWatermark> memory_watermark;       // optional
    std::optional<std::uint64_t> device_memory_total_bytes;  // optional; for recommendations
    double bottleneck_threshold_percent = kDefaultBottleneckThresholdPercent;  // for reports
  };

  // kInvalidArgument for a zero history capacity or a threshold outside [0, 100].
  [[nodiscard]] static Result<std::unique_ptr<Profiler>> create(Options options);
  ~Profiler();
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  // Starts a job's clock. Never fails; the id is unique within this Profiler.
  [[nodiscard]] JobId begin_pipeline(std::string job_name);
  // Stops the job's clock, collects the GPU times of its stages (waiting for the device if it has
  // not finished them), adds the profile to the history and returns it. Stages still open are
  // closed at this moment and marked truncated. kNotFound for a job that is not running.
  [[nodiscard]] Result<PipelineProfile> end_pipeline(JobId job);
  // Adds a finished profile to the history as if a job had produced it (imports, tests).
  void record_profile(PipelineProfile profile);
  void clear_history();

  [[nodiscard]] std::size_t running_pipelines() const;
  [[nodiscard]] std::vector<PipelineProfile> recent_profiles() const;  // oldest first

  // analysis.h over recent_profiles().
  [[nodiscard]] std::vector<StageShare> stage_shares() const;
  [[nodiscard]] std::vector<Bottleneck> bottlenecks(double threshold_percent) const;
  [[nodiscard]] std::vector<Bottleneck> bottlenecks() const;  // at the configured threshold
  [[nodiscard]] std::vector<std::string> recommendations() const;
  [[nodiscard]] Summary summary() const;
  [[nodiscard]] Report report() const;

  [[nodiscard]] Status export_report(const std::filesystem::path& path) const;  // report.h format
  [[nodiscard]] Status export_trace(const std::filesystem::path& path) const;   // chrome_trace.h

 private:
  friend class ActiveStageScope;
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kShardCount = 16;

  explicit Profiler(Options options);
  [[nodiscard]] detail::JobShard& shard_for(JobId job) const;
  // This thread's buffer for `job`: from the thread's cache, or else found (or made) through the
  // job table. nullptr when the job is not running.
  [[nodiscard]] detail::ThreadBuffer* thread_buffer(JobId job);
  [[nodiscard]] detail::ThreadBuffer* find_thread_buffer(JobId job);
  [[nodiscard]] AnalysisOptions analysis_options() const;
  // Memory watermark shared by overlapping top-level stages (see memory_watermark.h).
  void watermark_enter();
  [[nodiscard]] std::uint64_t watermark_leave();

  const Options options_;
  const std::uint64_t instance_;  // unique in the process: keys the threads' buffer caches
  const Clock::time_point epoch_ = Clock::now();
  std::atomic<std::uint64_t> next_job_{1};
  std::unique_ptr<detail::JobShard[]> shards_;

  std::mutex watermark_mutex_;
  int watermark_holders_ = 0;  // guarded by watermark_mutex_

  mutable std::mutex history_mutex_;
  std::deque<PipelineProfile> history_;  // guarded by history_mutex_; oldest first
};

}  // namespace orfeas::profiling
