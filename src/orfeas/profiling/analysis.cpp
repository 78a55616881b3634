#include "orfeas/profiling/analysis.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include <fmt/format.h>

namespace orfeas::profiling {
namespace {

std::string format_ms(double ms) {
  return fmt::format("{:.{}f} ms", ms, ms < 10.0 ? 1 : 0);
}
// Binary units, one decimal: "1.5 GiB", "300.0 MiB"; below 1 MiB, exact bytes.
std::string format_bytes(std::uint64_t bytes) {
  constexpr double kMiB = 1024.0 * 1024.0;
  constexpr double kGiB = 1024.0 * kMiB;
  const auto b = static_cast<double>(bytes);
  if (b >= kGiB) return fmt::format("{:.1f} GiB", b / kGiB);
  if (b >= kMiB) return fmt::format("{:.1f} MiB", b / kMiB);
  return fmt::format("{} bytes", bytes);
}

double mean(std::span<const double> values) {
  if (values.empty()) return 0.0;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// One pipeline's top-level stages, a stage that ran twice summed, in order of first appearance.
struct StageTotal {
  std::string_view name;
  double ms = 0.0;
  double gpu_ms = 0.0;
  bool has_gpu = false;
  std::optional<std::uint64_t> peak_bytes;
};
std::vector<StageTotal> top_level_totals(const PipelineProfile& profile) {
  std::vector<StageTotal> totals;
  for (const StageProfile& stage : profile.stages) {
    if (!stage.top_level()) continue;
    auto it = std::find_if(totals.begin(), totals.end(), [&](const StageTotal& t) { return t.name == stage.name; });
    if (it == totals.end()) it = totals.insert(totals.end(), StageTotal{stage.name, 0.0, 0.0, false, std::nullopt});
    it->ms += stage.wall_ms;
    if (stage.gpu_ms) {
      it->gpu_ms += *stage.gpu_ms;
      it->has_gpu = true;
    }
    if (stage.peak_device_bytes) it->peak_bytes = std::max(it->peak_bytes.value_or(0), *stage.peak_device_bytes);
  }
  return totals;
}

// Per stage name, in order of first appearance across profiles.
template <class Entry>
Entry& entry_for(std::vector<Entry>& entries, std::string_view name) {
  auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.stage == name; });
  if (it != entries.end()) return *it;
  Entry& added = entries.emplace_back();
  added.stage = std::string(name);
  return added;
}

StageStats stats_of(std::string stage, const std::vector<double>& values_oldest_first) {
  StageStats stats;
  stats.stage = std::move(stage);
  stats.count = values_oldest_first.size();
  if (values_oldest_first.empty()) return stats;
  stats.mean_ms = mean(values_oldest_first);
  stats.p50_ms = percentile(values_oldest_first, 50.0);
  stats.p95_ms = percentile(values_oldest_first, 95.0);
  const auto [lo, hi] = std::minmax_element(values_oldest_first.begin(), values_oldest_first.end());
  stats.min_ms = *lo;
  stats.max_ms = *hi;
  stats.trend = compute_trend(values_oldest_first);
  return stats;
}

// What to try when a stage dominates. The names mirror pipeline::kStageNames (profiling does not
// depend on the pipeline); the flags are the CLI's.
std::string_view advice_for(std::string_view stage) {
  if (stage == "image_preprocessing") return "use smaller input images, or crop them before submitting";
  if (stage == "shape_generation") return "lower --resolution (the volume grows with its cube) or use --device cuda";
  if (stage == "mesh_extraction") return "lower --resolution or use --device cuda";
  if (stage == "post_processing") {
    return "lower --resolution so there are fewer faces to clean and simplify, or use --faces 0 to skip simplification";
  }
  if (stage == "texture_synthesis") return "lower --resolution so there are fewer vertices to colour";
  if (stage == "export") return "check the output disk, or pick a binary format (.stl, .glb, .ply) over .obj";
  return "profile its nested stages to find where the time goes";
}

}  // namespace

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "unknown";
}

std::string_view trend_name(TrendDirection direction) {
  switch (direction) {
    case TrendDirection::kInsufficientData:
      return "insufficient data";
    case TrendDirection::kImproving:
      return "improving";
    case TrendDirection::kStable:
      return "stable";
    case TrendDirection::kDegrading:
      return "degrading";
  }
  return "unknown";
}

double percentile(std::vector<double> values, double percent) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double rank = std::clamp(percent, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(rank));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  const double fraction = rank - static_cast<double>(below);
  return values[below] + (values[above] - values[below]) * fraction;
}

Trend compute_trend(std::span<const double> values_oldest_first) {
  Trend trend;
  const std::size_t half = values_oldest_first.size() / 2;
  if (half == 0) return trend;
  const double older = mean(values_oldest_first.first(half));
  const double newer = mean(values_oldest_first.last(half));
  if (!(older > 0.0)) return trend;
  trend.change_percent = (newer - older) / older * 100.0;
  if (std::abs(trend.change_percent) <= kStableTrendPercent) {
    trend.direction = TrendDirection::kStable;
  } else {
    trend.direction = trend.change_percent < 0.0 ? TrendDirection::kImproving : TrendDirection::kDegrading;
  }
  return trend;
}

std::vector<StageShare> stage_shares(std::span<const PipelineProfile> profiles) {
  struct Accumulator {
    std::string stage;
    double share_sum = 0.0;
    double ms_sum = 0.0;
    std::size_t jobs = 0;
    std::optional<std::uint64_t> peak;
  };
  std::vector<Accumulator> accumulators;
  std::size_t counted = 0;
  for (const PipelineProfile& profile : profiles) {
    const std::vector<StageTotal> totals = top_level_totals(profile);
    double staged_ms = 0.0;
    for (const StageTotal& t : totals) staged_ms += t.ms;
    if (!(staged_ms > 0.0)) continue;  // nothing staged: no shares to speak of
    ++counted;
    for (const StageTotal& t : totals) {
      Accumulator& a = entry_for(accumulators, t.name);
      a.share_sum += t.ms / staged_ms * 100.0;
      a.ms_sum += t.ms;
      ++a.jobs;
      if (t.peak_bytes) a.peak = std::max(a.peak.value_or(0), *t.peak_bytes);
    }
  }
  std::vector<StageShare> shares;
  shares.reserve(accumulators.size());
  for (Accumulator& a : accumulators) {
    StageShare& s = shares.emplace_back();
    s.stage = std::move(a.stage);
    s.mean_share_percent = a.share_sum / static_cast<double>(counted);
    s.mean_ms = a.ms_sum / static_cast<double>(a.jobs);
    s.job_count = a.jobs;
    s.max_peak_device_bytes = a.peak;
  }
  return shares;
}

std::vector<Bottleneck> find_bottlenecks(std::span<const PipelineProfile> profiles, double threshold_percent) {
  std::vector<Bottleneck> bottlenecks;
  for (StageShare& share : stage_shares(profiles)) {
    if (share.mean_share_percent < threshold_percent) continue;
    Severity severity = Severity::kMedium;
    if (share.mean_share_percent > kCriticalSharePercent) {
      severity = Severity::kCritical;
    } else if (share.mean_share_percent > kHighSharePercent) {
      severity = Severity::kHigh;
    }
    bottlenecks.push_back({std::move(share), severity});
  }
  std::stable_sort(bottlenecks.begin(), bottlenecks.end(), [](const Bottleneck& a, const Bottleneck& b) {
    return a.share.mean_share_percent > b.share.mean_share_percent;
  });
  return bottlenecks;
}

Summary summarize(std::span<const PipelineProfile> profiles) {
  struct Series {
    std::string stage;
    std::vector<double> values;
  };
  std::vector<Series> series;
  std::vector<double> totals;
  totals.reserve(profiles.size());
  for (const PipelineProfile& profile : profiles) {
    totals.push_back(profile.total_seconds * 1000.0);
    for (const StageTotal& t : top_level_totals(profile)) entry_for(series, t.name).values.push_back(t.ms);
  }
  Summary summary;
  summary.pipeline_count = profiles.size();
  summary.total = stats_of("pipeline", totals);
  for (Series& s : series) summary.stages.push_back(stats_of(std::move(s.stage), s.values));
  return summary;
}

std::vector<std::string> make_recommendations(std::span<const PipelineProfile> profiles,
                                              const AnalysisOptions& options) {
  std::vector<std::string> lines;
  for (const Bottleneck& b : find_bottlenecks(profiles, options.bottleneck_threshold_percent)) {
    lines.push_back(fmt::format("{} takes {:.0f} % of pipeline time (mean {} over {} jobs): {}", b.share.stage,
                                b.share.mean_share_percent, format_ms(b.share.mean_ms), b.share.job_count,
                                advice_for(b.share.stage)));
  }

  // GPU stages where the device is idle most of the stage: the host side is the bottleneck.
  struct GpuUse {
    std::string stage;
    double wall_ms = 0.0;
    double gpu_ms = 0.0;
    std::size_t jobs = 0;
  };
  std::vector<GpuUse> gpu_use;
  for (const PipelineProfile& profile : profiles) {
    for (const StageTotal& t : top_level_totals(profile)) {
      if (!t.has_gpu) continue;
      GpuUse& use = entry_for(gpu_use, t.name);
      use.wall_ms += t.ms;
      use.gpu_ms += t.gpu_ms;
      ++use.jobs;
    }
  }
  for (const GpuUse& use : gpu_use) {
    if (!(use.wall_ms > 0.0) || use.gpu_ms >= 0.5 * use.wall_ms) continue;
    const auto jobs = static_cast<double>(use.jobs);
    lines.push_back(
        fmt::format("{} keeps the GPU busy only {:.0f} % of its wall time (mean {} on the GPU of {} over {} "
                    "jobs): overlap host work with the device or batch more work per launch",
                    use.stage, use.gpu_ms / use.wall_ms * 100.0, format_ms(use.gpu_ms / jobs),
                    format_ms(use.wall_ms / jobs), use.jobs));
  }

  if (options.device_memory_total_bytes && *options.device_memory_total_bytes > 0) {
    const std::uint64_t total = *options.device_memory_total_bytes;
    for (const StageShare& share : stage_shares(profiles)) {
      if (!share.max_peak_device_bytes) continue;
      const double fraction = static_cast<double>(*share.max_peak_device_bytes) / static_cast<double>(total);
      if (fraction < kMemoryPressureFraction) continue;
      lines.push_back(
          fmt::format("{} peaks at {} of device memory, {:.0f} % of the device's {}: lower "
                      "--resolution or run fewer jobs at once to avoid out-of-memory failures",
                      share.stage, format_bytes(*share.max_peak_device_bytes), fraction * 100.0, format_bytes(total)));
    }
  }

  const Summary summary = summarize(profiles);
  if (summary.total.trend.direction == TrendDirection::kDegrading) {
    const std::size_t half = summary.pipeline_count / 2;
    lines.push_back(
        fmt::format("pipeline time is degrading: the newest {} of {} recent jobs took {:.0f} % longer than the "
                    "oldest {}; look for growing inputs, memory pressure or a busier device",
                    half, summary.pipeline_count, summary.total.trend.change_percent, half));
  }
  return lines;
}

}  // namespace orfeas::profiling
