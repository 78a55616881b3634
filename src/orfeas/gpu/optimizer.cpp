#include "orfeas/gpu/optimizer.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "orfeas/core/parallel.h"

namespace orfeas::gpu {
namespace {

constexpr std::uint64_t kMinCacheAdviceBytes = std::uint64_t{256} << 20;

std::string megabytes(double bytes) {
  return fmt::format("{:.0f} MB", bytes / 1e6);
}

std::string gigabytes(double bytes) {
  return fmt::format("{:.1f} GB", bytes / 1e9);
}

std::uint64_t saturating_sub(std::uint64_t a, std::uint64_t b) {
  return a > b ? a - b : 0;
}

double confidence_scale(Confidence confidence) {
  switch (confidence) {
    case Confidence::kHigh:
      return 1.0;
    case Confidence::kMedium:
      return 0.9;
    case Confidence::kLow:
      return 0.75;
  }
  return 0.75;
}

}  // namespace

Result<std::unique_ptr<GpuOptimizer>> GpuOptimizer::create(Options options) {
  const auto invalid = [](const std::string& what) {
    return make_error(ErrorCode::kInvalidArgument, "GPU optimizer: " + what);
  };
  if (!(options.target_utilization > 0.0 && options.target_utilization <= 1.0)) {
    return invalid(fmt::format("target_utilization must be in (0, 1], got {:f}", options.target_utilization));
  }
  if (!(options.safety_margin >= 0.0 && options.safety_margin < 1.0)) {
    return invalid(fmt::format("safety_margin must be in [0, 1), got {:f}", options.safety_margin));
  }
  if (options.max_batch == 0) return invalid("max_batch must be at least 1");
  if (options.sample_window < 2) return invalid("sample_window must be at least 2");
  if (options.cpu_workers == 0) options.cpu_workers = worker_count();
  return std::unique_ptr<GpuOptimizer>(new GpuOptimizer(std::move(options)));
}

GpuOptimizer::GpuOptimizer(Options options) : options_(std::move(options)) {}

GpuOptimizer::Budget GpuOptimizer::budget_locked() {
  Budget budget;
  if (options_.probe == nullptr) {
    budget.why_cpu = "no device probe";
  } else if (auto readings = options_.probe->read(); !readings) {
    budget.why_cpu = readings.error().message();
  } else {
    for (DeviceReading& reading : *readings) {
      if (reading.index == options_.device) budget.device = std::move(reading);
    }
    if (!budget.device)
      budget.why_cpu = fmt::format("device {} not found by {}", options_.device, options_.probe->source());
  }
  if (budget.device) {
    budget.mode = "cuda";
    const std::uint64_t cached = options_.pool != nullptr ? options_.pool->stats().cached_bytes() : 0;
    const std::uint64_t in_use =
        saturating_sub(saturating_sub(budget.device->total_bytes, budget.device->free_bytes), cached);
    budget.total_bytes = budget.device->total_bytes;
    const double target = options_.target_utilization * static_cast<double>(budget.total_bytes);
    budget.usable_bytes = saturating_sub(static_cast<std::uint64_t>(target), in_use);
  } else {
    budget.mode = "cpu";
    const SystemMemory system = read_system_memory();
    budget.total_bytes = system.available_bytes;
    budget.usable_bytes =
        static_cast<std::uint64_t>(options_.target_utilization * static_cast<double>(system.available_bytes));
  }
  budget.margin_bytes = static_cast<std::uint64_t>(options_.safety_margin * static_cast<double>(budget.usable_bytes));
  return budget;
}

std::pair<std::uint64_t, Confidence> GpuOptimizer::per_item_locked(const JobConfig& config) const {
  const std::uint64_t model = std::max<std::uint64_t>(config.model.per_item_bytes, 1);
  const CalibrationEntry* entry = calibration_.find(config.key);
  if (entry == nullptr) return {model, Confidence::kLow};
  if (entry->count == 0) return {std::max(model, entry->oom_floor_bytes), Confidence::kLow};
  return {std::max<std::uint64_t>(entry->sizing_bytes(), 1), entry->confidence()};
}

std::pair<std::uint64_t, Confidence> GpuOptimizer::per_item_estimate(const JobConfig& config) const {
  const std::lock_guard lock(mutex_);
  return per_item_locked(config);
}

BatchRecommendation GpuOptimizer::recommend_batch(const JobConfig& config, std::size_t queue_size) {
  const std::lock_guard lock(mutex_);
  const Budget budget = budget_locked();
  BatchRecommendation out;
  out.mode = budget.mode;
  std::tie(out.bytes_per_item, out.confidence) = per_item_locked(config);
  out.fixed_bytes = config.model.weights_bytes;
  out.budget_bytes = saturating_sub(budget.usable_bytes - budget.margin_bytes, out.fixed_bytes);
  out.fit_limit = static_cast<std::size_t>(out.budget_bytes / out.bytes_per_item);

  const std::string per_item =
      fmt::format("{} per item ({} confidence, {})", megabytes(static_cast<double>(out.bytes_per_item)),
                  confidence_name(out.confidence), out.confidence == Confidence::kLow ? "model" : "measured");
  const std::string where = budget.mode == "cuda"
                                ? fmt::format("GPU {} ({} free of {})", options_.device,
                                              gigabytes(static_cast<double>(budget.device->free_bytes)),
                                              gigabytes(static_cast<double>(budget.total_bytes)))
                                : fmt::format("CPU mode ({}), {} system memory available", budget.why_cpu,
                                              gigabytes(static_cast<double>(budget.total_bytes)));
  if (queue_size == 0) {
    out.reason = fmt::format("The queue is empty: nothing to run on {}.", where);
    return out;
  }
  if (out.fit_limit == 0) {
    out.recommended = out.max_safe = 1;
    out.reason = fmt::format(
        "Not even one item of {} fits the {} budget on {}; trying a batch of 1 (an out-of-memory failure then fails "
        "the item).",
        per_item, gigabytes(static_cast<double>(out.budget_bytes)), where);
    return out;
  }
  out.max_safe = std::min({out.fit_limit, queue_size, options_.max_batch});
  std::string limit = out.max_safe == out.fit_limit ? "memory" : out.max_safe == queue_size ? "the queue" : "max_batch";
  if (budget.mode == "cuda") {
    const auto scaled =
        static_cast<std::size_t>(std::floor(static_cast<double>(out.max_safe) * confidence_scale(out.confidence)));
    out.recommended = std::clamp<std::size_t>(scaled, 1, out.max_safe);
  } else {
    out.recommended = std::clamp<std::size_t>(options_.cpu_workers, 1, out.max_safe);
  }
  out.reason = fmt::format(
      "Batch of {} on {}: {} items of {} fit the {} budget; at most {} (limited by {}){}", out.recommended, where,
      out.fit_limit, per_item, gigabytes(static_cast<double>(out.budget_bytes)), out.max_safe, limit,
      budget.mode == "cpu" ? fmt::format(", one per worker thread ({}).", options_.cpu_workers) : std::string("."));
  return out;
}

Status GpuOptimizer::save_locked() const {
  if (!data_dir_) return ok();
  return calibration_.save(*data_dir_);
}

Status GpuOptimizer::record_measurement(const JobConfig& config, std::size_t items, std::uint64_t peak_bytes) {
  if (items == 0) return make_error(ErrorCode::kInvalidArgument, "a measurement needs at least one item");
  const std::lock_guard lock(mutex_);
  calibration_.add(config.key, static_cast<double>(peak_bytes) / static_cast<double>(items));
  return save_locked();
}

void GpuOptimizer::record_batch(const JobConfig& config, std::size_t size, double seconds, bool ok) {
  if (size == 0) return;
  const std::lock_guard lock(mutex_);
  BatchTiming& timing = timings_[{config.key, size}];
  if (ok && seconds > 0) {
    ++timing.ok_runs;
    timing.ok_items += static_cast<double>(size);
    timing.ok_seconds += seconds;
  } else {
    ++timing.failed_runs;
  }
}

OomDecision GpuOptimizer::on_out_of_memory(const JobConfig& config, std::size_t failed_batch_size) {
  const std::lock_guard lock(mutex_);
  ++oom_events_;
  const std::string key = config.key;
  const Budget budget = budget_locked();
  const std::uint64_t current = per_item_locked(config).first;
  const std::uint64_t fixed = config.model.weights_bytes;
  const std::uint64_t available = saturating_sub(budget.usable_bytes - budget.margin_bytes, fixed);
  OomDecision decision;
  // The failed batch did not fit: each item needed more than available / n. Raise the estimate
  // past that so the same batch is not recommended again, and at least by a quarter.
  std::uint64_t raised = current + current / 4;
  if (failed_batch_size > 1) raised = std::max(raised, available / failed_batch_size + 1);
  calibration_.raise_floor(key, raised);
  decision.raised_bytes_per_item = calibration_.find(key)->sizing_bytes();
  if (failed_batch_size <= 1) {
    decision.reason =
        fmt::format("A single item of {} ran out of memory: it is reported as failed; per-item estimate raised to {}.",
                    key, megabytes(static_cast<double>(decision.raised_bytes_per_item)));
  } else {
    decision.split = true;
    decision.first_batch = (failed_batch_size + 1) / 2;
    decision.second_batch = failed_batch_size / 2;
    decision.reason =
        fmt::format("A batch of {} ({}) ran out of memory: retrying as {} + {}; per-item estimate raised to {}.",
                    failed_batch_size, key, decision.first_batch, decision.second_batch,
                    megabytes(static_cast<double>(decision.raised_bytes_per_item)));
  }
  if (Status saved = save_locked(); !saved) decision.save_error = saved.error();
  return decision;
}

std::uint64_t GpuOptimizer::oom_events() const {
  const std::lock_guard lock(mutex_);
  return oom_events_;
}

std::optional<std::string> GpuOptimizer::load_calibration(const std::filesystem::path& dir) {
  LoadedCalibration loaded = Calibration::load(dir);
  const std::lock_guard lock(mutex_);
  calibration_ = std::move(loaded.calibration);
  data_dir_ = dir;
  if (loaded.warning.empty()) return std::nullopt;
  return std::move(loaded.warning);
}

MemoryProfile GpuOptimizer::memory_profile() {
  const std::lock_guard lock(mutex_);
  MemoryProfile profile;
  profile.timestamp = std::chrono::system_clock::now();
  profile.mode = "cpu";
  profile.source = options_.probe != nullptr ? std::string(options_.probe->source()) : "none";
  if (options_.probe != nullptr) {
    if (auto readings = options_.probe->read(); readings) {
      profile.devices = std::move(*readings);
      if (!profile.devices.empty()) profile.mode = "cuda";
    } else {
      profile.probe_error = readings.error().message();
    }
  }
  if (options_.pool != nullptr) {
    profile.allocator = options_.pool->stats();
    profile.allocator_name = std::string(options_.pool->name());
  }
  profile.system = read_system_memory();
  return profile;
}

MemorySample GpuOptimizer::sample() {
  MemorySample point;
  point.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  {
    const std::lock_guard lock(mutex_);
    if (options_.probe != nullptr) {
      if (auto readings = options_.probe->read(); readings) {
        for (const DeviceReading& reading : *readings) {
          if (reading.index != options_.device) continue;
          point.device_used_bytes = saturating_sub(reading.total_bytes, reading.free_bytes);
          point.device_total_bytes = reading.total_bytes;
          point.compute_busy_percent = reading.compute_busy_percent;
        }
      }
    }
  }
  if (options_.pool != nullptr) {
    const AllocatorStats stats = options_.pool->stats();
    point.allocated_bytes = stats.allocated_bytes;
    point.cached_bytes = stats.cached_bytes();
  } else {
    point.allocated_bytes = point.device_used_bytes.value_or(0);
  }
  record_sample(point);
  return point;
}

void GpuOptimizer::record_sample(const MemorySample& sample) {
  const std::lock_guard lock(mutex_);
  samples_.push_back(sample);
  while (samples_.size() > options_.sample_window) samples_.pop_front();
}

MemoryTrend GpuOptimizer::memory_trend() const {
  const std::lock_guard lock(mutex_);
  return trend_locked();
}

MemoryTrend GpuOptimizer::trend_locked() const {
  MemoryTrend trend;
  trend.samples = samples_.size();
  if (samples_.size() < 2) return trend;
  const double n = static_cast<double>(samples_.size());
  double mean_t = 0;
  double mean_y = 0;
  for (const MemorySample& s : samples_) {
    mean_t += s.seconds / n;
    mean_y += static_cast<double>(s.allocated_bytes) / n;
  }
  double stt = 0;
  double sty = 0;
  double syy = 0;
  for (const MemorySample& s : samples_) {
    const double dt = s.seconds - mean_t;
    const double dy = static_cast<double>(s.allocated_bytes) - mean_y;
    stt += dt * dt;
    sty += dt * dy;
    syy += dy * dy;
  }
  if (stt <= 0) return trend;
  trend.slope_bytes_per_second = sty / stt;
  trend.r_squared = syy > 0 ? (sty * sty) / (stt * syy) : 0;
  trend.window_seconds = samples_.back().seconds - samples_.front().seconds;
  trend.rise_bytes = trend.slope_bytes_per_second * trend.window_seconds;
  trend.looks_like_leak = samples_.size() >= options_.min_trend_samples && trend.slope_bytes_per_second > 0 &&
                          trend.r_squared >= 0.8 &&
                          trend.rise_bytes >= static_cast<double>(options_.leak_min_rise_bytes);
  return trend;
}

std::vector<Advice> GpuOptimizer::recommendations() {
  const AllocatorStats stats = options_.pool != nullptr ? options_.pool->stats() : AllocatorStats{};
  const std::lock_guard lock(mutex_);
  std::vector<Advice> advice;
  const Budget budget = budget_locked();
  const std::string gpu = fmt::format("GPU {}", options_.device);

  // Utilisation: the mean busy % over the sample window, or the current reading without samples.
  double busy_sum = 0;
  std::size_t busy_count = 0;
  for (const MemorySample& s : samples_) {
    if (s.compute_busy_percent) {
      busy_sum += *s.compute_busy_percent;
      ++busy_count;
    }
  }
  if (busy_count == 0 && budget.device && budget.device->compute_busy_percent) {
    busy_sum = *budget.device->compute_busy_percent;
    busy_count = 1;
  }
  if (busy_count > 0 && busy_sum / static_cast<double>(busy_count) < options_.under_utilised_percent) {
    advice.push_back({AdviceKind::kUnderUtilised,
                      fmt::format("{} ran kernels only {:.0f} % of the time (mean of {} readings): it is "
                                  "under-utilised; larger batches or more concurrent jobs would use it better.",
                                  gpu, busy_sum / static_cast<double>(busy_count), busy_count)});
  }
  if (budget.device && budget.device->total_bytes > 0) {
    const double used = static_cast<double>(saturating_sub(budget.device->total_bytes, budget.device->free_bytes));
    const double share = used / static_cast<double>(budget.device->total_bytes);
    if (share > options_.near_capacity_share) {
      advice.push_back(
          {AdviceKind::kNearCapacity,
           fmt::format("{} memory is {:.0f} % used ({} of {}): near capacity; expect smaller batches "
                       "and out-of-memory retries.",
                       gpu, 100 * share, gigabytes(used), gigabytes(static_cast<double>(budget.device->total_bytes)))});
    }
  }
  if (stats.reserved_bytes > 0) {
    const std::uint64_t cached = stats.cached_bytes();
    if (cached >= kMinCacheAdviceBytes &&
        static_cast<double>(cached) > options_.cache_release_share * static_cast<double>(stats.reserved_bytes)) {
      advice.push_back(
          {AdviceKind::kReleaseCache,
           fmt::format("The memory pool caches {} of {} reserved without using it: release_cache() "
                       "would return it to the device.",
                       megabytes(static_cast<double>(cached)), megabytes(static_cast<double>(stats.reserved_bytes)))});
    }
  }
  const MemoryTrend trend = trend_locked();
  if (trend.looks_like_leak) {
    advice.push_back({AdviceKind::kPossibleLeak,
                      fmt::format("Allocated memory rose steadily by {} over {:.0f} s ({:.1f} MB/s, r² {:.2f} across "
                                  "{} samples): this looks like a leak.",
                                  megabytes(trend.rise_bytes), trend.window_seconds, trend.slope_bytes_per_second / 1e6,
                                  trend.r_squared, trend.samples)});
  }
  // Best batch size per configuration, by items per second over successful runs.
  std::map<std::string, std::vector<std::pair<std::size_t, double>>> throughput;
  for (const auto& [key, timing] : timings_) {
    if (timing.ok_runs > 0) throughput[key.first].emplace_back(key.second, timing.ok_items / timing.ok_seconds);
  }
  for (auto& [key, sizes] : throughput) {
    if (sizes.size() < 2) continue;
    std::sort(sizes.begin(), sizes.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    advice.push_back({AdviceKind::kBestBatchSize,
                      fmt::format("For {}, batches of {} ran fastest: {:.2f} items/s (batches of {}: {:.2f} items/s).",
                                  key, sizes[0].first, sizes[0].second, sizes[1].first, sizes[1].second)});
  }
  if (oom_events_ > 0) {
    advice.push_back({AdviceKind::kOutOfMemory, fmt::format("{} out-of-memory events so far; the per-item estimates "
                                                            "of the configurations involved were raised.",
                                                            oom_events_)});
  }
  return advice;
}

std::uint64_t GpuOptimizer::release_cache() {
  return options_.pool != nullptr ? options_.pool->release_cache() : 0;
}

}  // namespace orfeas::gpu
