// What a set of pipeline profiles says: where the time goes (shares, bottlenecks), how stable it
// is (percentiles, trend) and what to do about it (recommendations). Pure functions over
// profiles, so the live Profiler and a report loaded from disk give the same answers.
//
//   std::vector<PipelineProfile> recent = profiler.recent_profiles();
//   for (const Bottleneck& b : find_bottlenecks(recent, 20.0))
//     std::printf("%s %s %.0f %%\n", severity_name(b.severity).data(), b.stage.c_str(), b.mean_share_percent);
//
// Only top-level stages are analysed: nested stages are details of their parent, and the shares of
// top-level stages add up to 100 % of each pipeline's staged time.
//
// Units: milliseconds, percent (0–100), bytes. Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/profiling/profile.h"

namespace orfeas::profiling {

inline constexpr double kDefaultBottleneckThresholdPercent = 20.0;
inline constexpr double kHighSharePercent = 30.0;       // above: severity high
inline constexpr double kCriticalSharePercent = 40.0;   // above: severity critical
inline constexpr double kStableTrendPercent = 5.0;      // a change within ±5 % is "stable"
inline constexpr double kMemoryPressureFraction = 0.9;  // a stage peak above 90 % of the device

// A top-level stage's mean share of pipeline time. A pipeline's share denominator is the sum of its
// top-level stages; a stage missing from a pipeline counts as 0 % there, so the shares of all
// stages sum to 100 %.
struct StageShare {
  std::string stage;
  double mean_share_percent = 0.0;
  double mean_ms = 0.0;       // over the pipelines where the stage ran (repeats summed per pipeline)
  std::size_t job_count = 0;  // pipelines where the stage ran
  std::optional<std::uint64_t> max_peak_device_bytes;
};

enum class Severity { kMedium, kHigh, kCritical };
[[nodiscard]] std::string_view severity_name(Severity severity);  // "medium", "high", "critical"

struct Bottleneck {
  StageShare share;
  Severity severity = Severity::kMedium;
};

enum class TrendDirection { kInsufficientData, kImproving, kStable, kDegrading };
[[nodiscard]] std::string_view trend_name(TrendDirection direction);  // "improving", ...

// Mean of the newer half of the pipelines against the older half (in the order given, oldest
// first; the middle one of an odd count is left out).
struct Trend {
  TrendDirection direction = TrendDirection::kInsufficientData;
  double change_percent = 0.0;  // (newer − older) / older × 100; negative is faster
};

struct StageStats {
  std::string stage;
  std::size_t count = 0;  // pipelines where the stage ran
  double mean_ms = 0.0;
  double p50_ms = 0.0;
  double p95_ms = 0.0;
  double min_ms = 0.0;
  double max_ms = 0.0;
  Trend trend;
};

struct Summary {
  std::size_t pipeline_count = 0;
  StageStats total;                // the whole pipeline (wall, begin → end), named "pipeline"
  std::vector<StageStats> stages;  // top-level stages, in order of first appearance
};

struct AnalysisOptions {
  double bottleneck_threshold_percent = kDefaultBottleneckThresholdPercent;
  std::optional<std::uint64_t> device_memory_total_bytes;  // enables the memory recommendation
};

// Linear interpolation between closest ranks (numpy's default); `values` need not be sorted.
// 0 for an empty set.
[[nodiscard]] double percentile(std::vector<double> values, double percent);
// Classifies the change from the older half of `values` to the newer half.
[[nodiscard]] Trend compute_trend(std::span<const double> values_oldest_first);

[[nodiscard]] std::vector<StageShare> stage_shares(std::span<const PipelineProfile> profiles);
// Stages whose mean share is ≥ threshold_percent, largest share first.
[[nodiscard]] std::vector<Bottleneck> find_bottlenecks(std::span<const PipelineProfile> profiles,
                                                       double threshold_percent);
[[nodiscard]] Summary summarize(std::span<const PipelineProfile> profiles);
// One sentence per finding, naming the stage and the measured share or memory, e.g.
// "mesh_extraction takes 62 % of pipeline time (mean 41 ms over 20 jobs): lower --resolution ...".
[[nodiscard]] std::vector<std::string> make_recommendations(std::span<const PipelineProfile> profiles,
                                                            const AnalysisOptions& options);

}  // namespace orfeas::profiling
