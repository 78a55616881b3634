// ServiceMetrics: the counters and histograms `orfeas serve` exposes at GET /metrics, in the
// Prometheus text format (version 0.0.4).
//
//   metrics.job_submitted();  metrics.cache_hit();  metrics.batch_run(4);
//   metrics.stage_observed("shape_generation", 0.21);  metrics.oom_retry();
//   std::string text = metrics.render(snapshot);   // the scrape: counters + what the snapshot says now
//
// Names (all prefixed orfeas_):
//   jobs_submitted_total, jobs_finished_total{status}, cache_hits_total, oom_retries_total   counters
//   batch_size (histogram: 1 2 4 8 16 32 64), stage_duration_seconds{stage} (histogram:
//   0.005 … 60 s), job_duration_seconds (histogram 0.1 … 1800 s, submitted → final)
//   from the snapshot, gauges: jobs{status} (every state, from the store), queue_length,
//   workers{device}, gpu_memory_total_bytes{device}, gpu_memory_used_bytes{device},
//   gpu_utilization_percent{device} (when the device reports it), up (1).
// Label values are escaped as the format says (\\, \", \n). Device families are left out for
// devices that do not report the reading, and entirely when none does.
// Thread-safety: every method may be called from any thread (atomics and one mutex per histogram).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/jobs/job.h"

namespace orfeas::service {

// A cumulative histogram with fixed upper bounds (+Inf implied).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (= count)
    double sum = 0.0;
    std::uint64_t count = 0;
  };
  [[nodiscard]] Snapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket (not cumulative), then the +Inf bucket
  double sum_ = 0.0;
};

// What a scrape reads at that moment (the service fills it).
struct MetricsSnapshot {
  std::array<std::int64_t, jobs::kJobStatusCount> jobs_by_status{};
  std::int64_t queue_length = 0;
  struct Device {
    std::string name;  // "cpu", "cuda:0"
    bool worker_up = false;
    std::optional<std::uint64_t> memory_total_bytes;
    std::optional<std::uint64_t> memory_used_bytes;
    std::optional<double> utilization_percent;
  };
  std::vector<Device> devices;
};

class ServiceMetrics {
 public:
  ServiceMetrics();

  void job_submitted();
  void job_finished(jobs::JobStatus status, double seconds_since_submitted);
  void cache_hit();
  void oom_retry();
  void batch_run(std::size_t jobs);
  void stage_observed(std::string_view stage, double seconds);

  [[nodiscard]] std::uint64_t cache_hits() const { return cache_hits_.load(); }
  [[nodiscard]] std::uint64_t oom_retries() const { return oom_retries_.load(); }

  [[nodiscard]] std::string render(const MetricsSnapshot& snapshot) const;

 private:
  std::atomic<std::uint64_t> submitted_{0};
  std::array<std::atomic<std::uint64_t>, jobs::kJobStatusCount> finished_{};
  std::atomic<std::uint64_t> cache_hits_{0};
  std::atomic<std::uint64_t> oom_retries_{0};
  Histogram batch_size_;
  Histogram job_duration_;
  mutable std::mutex stages_mutex_;
  std::map<std::string, std::unique_ptr<Histogram>, std::less<>> stage_durations_;
};

}  // namespace orfeas::service
