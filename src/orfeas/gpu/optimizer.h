// GpuOptimizer: sizes batches from what the device says now (free memory, via a DeviceProbe) and
// what this machine has measured (per-item peaks, per configuration), and turns readings into
// advice. It replaces the old Python optimizer's two flaws: "utilisation" is the device's busy
// time (not the share of memory reserved), and the memory per item comes from the stages' own
// statement (JobConfig::model, memory_need.h) refined by measurements (calibration.h), not from a
// fixed guess.
//
//   ORFEAS_ASSIGN_OR_RETURN(auto optimizer, gpu::GpuOptimizer::create({.probe = gpu::create_default_probe(),
//                                                                      .pool = pool.get()}));
//   if (auto warning = optimizer->load_calibration(data_dir)) log_once(*warning);
//   gpu::BatchRecommendation batch = optimizer->recommend_batch(config, queue.size());
//   pool->reset_peak();  const auto before = pool->stats().allocated_bytes;
//   ... run batch.recommended jobs; on kOutOfMemory: optimizer->on_out_of_memory(config, n) → split ...
//   optimizer->record_measurement(config, n, pool->stats().peak_allocated_bytes - before);
//   optimizer->record_batch(config, n, seconds, /*ok=*/true);
//
// Sizing (GPU mode, device `Options::device`), all in bytes:
//   in_use   = total − free − (this pool's cached bytes: reusable by us, counted as used by the driver)
//   usable   = max(0, target · total − in_use)                 target = 0.85 by default
//   margin   = safety_margin · usable                          0.10 by default (fragmentation, workspaces)
//   budget   = usable − margin − weights (config.model.weights_bytes: weights not yet resident)
//   fit      = floor(budget / per_item)                        per_item: calibration or config.model
//   max_safe = min(fit, queue, max_batch);  recommended = max_safe scaled by confidence
//              (high 1.0, medium 0.9, low 0.75, rounded down, at least 1)
// Invariants: queue 0 → 0 and 0. Otherwise 1 ≤ recommended ≤ max_safe, and max_safe ≤ fit whenever
// fit ≥ 1; when not even one item fits, both are 1 (the caller may try; an OOM then fails the item)
// and the reason says so. Non-decreasing in free memory.
// CPU mode (the probe fails or sees no device): the budget comes from available system memory the
// same way, and recommended = min(max_safe, worker threads); the reason says CPU mode and why.
//
// Thread-safety: every method may be called from any thread; calls are serialised by one mutex
// (the probe is read under it, so a slow probe delays other callers).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/gpu/calibration.h"
#include "orfeas/gpu/device_probe.h"
#include "orfeas/gpu/memory_need.h"
#include "orfeas/gpu/memory_pool.h"

namespace orfeas::gpu {

struct BatchRecommendation {
  std::size_t recommended = 0;
  std::size_t max_safe = 0;
  std::size_t fit_limit = 0;         // items that fit the budget, before the queue and max_batch caps
  std::uint64_t bytes_per_item = 0;  // the estimate used (calibrated, else the model; ≥ OOM floor)
  std::uint64_t fixed_bytes = 0;     // once per batch (weights)
  std::uint64_t budget_bytes = 0;    // what the batch may use, after the margin
  Confidence confidence = Confidence::kLow;
  std::string mode;    // "cuda" or "cpu"
  std::string reason;  // one sentence for logs and the server's status
};

struct OomDecision {
  bool split = false;                       // false: the batch was a single item, which is reported as failed
  std::size_t first_batch = 0;              // ⌈n/2⌉
  std::size_t second_batch = 0;             // ⌊n/2⌋
  std::uint64_t raised_bytes_per_item = 0;  // the configuration's new per-item floor
  std::string reason;
  std::optional<Error> save_error;  // the calibration could not be written (the decision stands)
};

// One point of the memory trend; seconds since the optimizer was created.
struct MemorySample {
  double seconds = 0;
  std::uint64_t allocated_bytes = 0;  // this process's pool (or the device's used bytes without a pool)
  std::uint64_t cached_bytes = 0;
  std::optional<std::uint64_t> device_used_bytes = std::nullopt;
  std::optional<std::uint64_t> device_total_bytes = std::nullopt;
  std::optional<std::uint32_t> compute_busy_percent = std::nullopt;
};

// Least-squares line through the samples' allocated bytes.
struct MemoryTrend {
  std::size_t samples = 0;
  double slope_bytes_per_second = 0;
  double r_squared = 0;  // 0–1: how straight the rise is
  double window_seconds = 0;
  double rise_bytes = 0;         // slope · window
  bool looks_like_leak = false;  // enough samples, slope > 0, r² ≥ 0.8, rise ≥ Options::leak_min_rise_bytes
};

enum class AdviceKind { kUnderUtilised, kNearCapacity, kReleaseCache, kPossibleLeak, kBestBatchSize, kOutOfMemory };
struct Advice {
  AdviceKind kind;
  std::string message;  // a sentence
};

class GpuOptimizer {
 public:
  struct Options {
    std::shared_ptr<DeviceProbe> probe = nullptr;  // null: CPU mode
    MemoryPool* pool = nullptr;                    // borrowed, may be null; must outlive the optimizer
    std::uint32_t device = 0;                      // the device batches run on
    double target_utilization = 0.85;              // share of the device's total memory we may fill, (0, 1]
    double safety_margin = 0.10;                   // share of the usable memory kept free, [0, 1)
    std::size_t max_batch = 64;
    std::size_t cpu_workers = 0;      // 0: orfeas::worker_count()
    std::size_t sample_window = 120;  // samples kept for trends and utilisation
    std::size_t min_trend_samples = 8;
    std::uint64_t leak_min_rise_bytes = std::uint64_t{64} << 20;
    std::uint32_t under_utilised_percent = 30;  // mean compute busy % below this → advice
    double near_capacity_share = 0.90;          // device used/total above this → advice
    double cache_release_share = 0.25;          // cached/reserved above this (and ≥ 256 MiB) → advice
  };
  // kInvalidArgument for out-of-range options.
  [[nodiscard]] static Result<std::unique_ptr<GpuOptimizer>> create(Options options);

  [[nodiscard]] MemoryProfile memory_profile();
  [[nodiscard]] BatchRecommendation recommend_batch(const JobConfig& config, std::size_t queue_size);

  // A batch of `items` needed `peak_bytes` beyond what was allocated before it (resident weights
  // excluded). Updates the calibration; saves it when a directory was loaded (the error, if any,
  // is returned; the in-memory update stands).
  [[nodiscard]] Status record_measurement(const JobConfig& config, std::size_t items, std::uint64_t peak_bytes);
  void record_batch(const JobConfig& config, std::size_t size, double seconds, bool ok);
  [[nodiscard]] OomDecision on_out_of_memory(const JobConfig& config, std::size_t failed_batch_size);
  [[nodiscard]] std::uint64_t oom_events() const;

  // Reads <dir>/gpu_calibration.json (absent: start empty) and saves there from now on.
  // A file that does not load never blocks work: the optimizer starts empty (the next save
  // replaces the file) and the reason comes back, for the caller to show once.
  [[nodiscard]] std::optional<std::string> load_calibration(const std::filesystem::path& dir);
  // The per-item estimate for a configuration and how sure it is.
  [[nodiscard]] std::pair<std::uint64_t, Confidence> per_item_estimate(const JobConfig& config) const;

  MemorySample sample();                           // one reading appended to the window
  void record_sample(const MemorySample& sample);  // for tests and external samplers
  [[nodiscard]] MemoryTrend memory_trend() const;
  [[nodiscard]] std::vector<Advice> recommendations();
  std::uint64_t release_cache();  // the pool's bytes actually freed; 0 without a pool

 private:
  explicit GpuOptimizer(Options options);

  struct Budget {
    std::string mode;
    std::uint64_t total_bytes = 0;  // device total, or system available memory in CPU mode
    std::uint64_t usable_bytes = 0;
    std::uint64_t margin_bytes = 0;
    std::optional<DeviceReading> device;
    std::string why_cpu;
  };
  struct BatchTiming {
    std::uint64_t ok_runs = 0;
    std::uint64_t failed_runs = 0;
    double ok_items = 0;
    double ok_seconds = 0;
  };

  Budget budget_locked();
  std::pair<std::uint64_t, Confidence> per_item_locked(const JobConfig& config) const;
  Status save_locked() const;
  MemoryTrend trend_locked() const;

  const Options options_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  mutable std::mutex mutex_;
  Calibration calibration_;
  std::optional<std::filesystem::path> data_dir_;
  std::deque<MemorySample> samples_;
  std::map<std::pair<std::string, std::size_t>, BatchTiming> timings_;  // (config key, batch size)
  std::uint64_t oom_events_ = 0;
};

}  // namespace orfeas::gpu
