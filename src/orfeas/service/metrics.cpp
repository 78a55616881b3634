#include "orfeas/service/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

namespace orfeas::service {
namespace {

constexpr std::array<jobs::JobStatus, 3> kFinalStatuses = {jobs::JobStatus::kCompleted, jobs::JobStatus::kFailed,
                                                           jobs::JobStatus::kCancelled};

std::vector<double> batch_size_bounds() {
  return {1, 2, 4, 8, 16, 32, 64};
}
std::vector<double> stage_duration_bounds() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}
std::vector<double> job_duration_bounds() {
  return {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800};
}

// A sample value as the format writes it: the shortest text that reads back as the same double,
// "+Inf", "-Inf", "NaN".
std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::array<char, 32> buffer{};
  const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (error != std::errc()) return "NaN";  // cannot happen with 32 characters; keeps the scrape valid
  return {buffer.data(), end};
}

std::string format_value(std::uint64_t value) {
  return std::to_string(value);
}
std::string format_value(std::int64_t value) {
  return std::to_string(value);
}

// Label values: backslash, double quote and line feed escaped. HELP text: backslash and line feed.
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

using Labels = std::vector<std::pair<std::string_view, std::string>>;

// Text format 0.0.4: per family a HELP and a TYPE line, then its samples.
class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    text_ += escape(help, /*quotes=*/false);
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += ' ';
    text_ += type;
    text_ += '\n';
  }

  void sample(std::string_view name, const Labels& labels, const std::string& value) {
    text_ += name;
    if (!labels.empty()) {
      text_ += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) text_ += ',';
        text_ += labels[i].first;
        text_ += "=\"";
        text_ += escape(labels[i].second, /*quotes=*/true);
        text_ += '"';
      }
      text_ += '}';
    }
    text_ += ' ';
    text_ += value;
    text_ += '\n';
  }

  // The _bucket (cumulative, le last among the labels), _sum and _count samples of one histogram.
  void histogram(std::string_view name, const Labels& labels, const Histogram::Snapshot& snapshot) {
    const std::string bucket = std::string(name) + "_bucket";
    Labels with_le = labels;
    with_le.emplace_back("le", "");
    for (std::size_t i = 0; i < snapshot.bounds.size(); ++i) {
      with_le.back().second = format_value(snapshot.bounds[i]);
      sample(bucket, with_le, format_value(snapshot.cumulative[i]));
    }
    with_le.back().second = "+Inf";
    sample(bucket, with_le, format_value(snapshot.count));
    sample(std::string(name) + "_sum", labels, format_value(snapshot.sum));
    sample(std::string(name) + "_count", labels, format_value(snapshot.count));
  }

  [[nodiscard]] std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;  // no bucket holds it, and it would poison the sum
  // The first bound >= value: le is inclusive.
  const auto bucket =
      static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  const std::lock_guard lock(mutex_);
  ++counts_[bucket];
  sum_ += value;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot out;
  out.bounds = bounds_;
  const std::lock_guard lock(mutex_);
  out.cumulative.reserve(counts_.size());
  std::uint64_t running = 0;
  for (const std::uint64_t count : counts_) {
    running += count;
    out.cumulative.push_back(running);
  }
  out.count = running;
  out.sum = sum_;
  return out;
}

ServiceMetrics::ServiceMetrics() : batch_size_(batch_size_bounds()), job_duration_(job_duration_bounds()) {}

void ServiceMetrics::job_submitted() {
  submitted_.fetch_add(1, std::memory_order_relaxed);
}

void ServiceMetrics::job_finished(jobs::JobStatus status, double seconds_since_submitted) {
  finished_[static_cast<std::size_t>(status)].fetch_add(1, std::memory_order_relaxed);
  job_duration_.observe(seconds_since_submitted);
}

void ServiceMetrics::cache_hit() {
  cache_hits_.fetch_add(1, std::memory_order_relaxed);
}

void ServiceMetrics::oom_retry() {
  oom_retries_.fetch_add(1, std::memory_order_relaxed);
}

void ServiceMetrics::batch_run(std::size_t jobs) {
  batch_size_.observe(static_cast<double>(jobs));
}

void ServiceMetrics::stage_observed(std::string_view stage, double seconds) {
  Histogram* histogram = nullptr;  // borrowed: histograms live as long as the metrics
  {
    const std::lock_guard lock(stages_mutex_);
    auto found = stage_durations_.find(stage);
    if (found == stage_durations_.end()) {
      found = stage_durations_.emplace(std::string(stage), std::make_unique<Histogram>(stage_duration_bounds())).first;
    }
    histogram = found->second.get();
  }
  histogram->observe(seconds);
}

std::string ServiceMetrics::render(const MetricsSnapshot& snapshot) const {
  Exposition out;
  out.family("orfeas_up", "gauge", "1 while the service answers.");
  out.sample("orfeas_up", {}, "1");

  out.family("orfeas_jobs_submitted_total", "counter", "Jobs accepted by the service since it started.");
  out.sample("orfeas_jobs_submitted_total", {}, format_value(submitted_.load()));

  out.family("orfeas_jobs_finished_total", "counter", "Jobs that reached a final state since the service started.");
  for (const jobs::JobStatus status : kFinalStatuses) {
    out.sample("orfeas_jobs_finished_total", {{"status", std::string(jobs::job_status_name(status))}},
               format_value(finished_[static_cast<std::size_t>(status)].load()));
  }

  out.family("orfeas_cache_hits_total", "counter", "Submissions answered from the result cache.");
  out.sample("orfeas_cache_hits_total", {}, format_value(cache_hits_.load()));

  out.family("orfeas_oom_retries_total", "counter", "Batches split and retried after running out of memory.");
  out.sample("orfeas_oom_retries_total", {}, format_value(oom_retries_.load()));

  out.family("orfeas_batch_size", "histogram", "Jobs per pipeline batch.");
  out.histogram("orfeas_batch_size", {}, batch_size_.snapshot());

  {
    const std::lock_guard lock(stages_mutex_);
    if (!stage_durations_.empty()) {
      out.family("orfeas_stage_duration_seconds", "histogram", "Wall time of one pipeline stage for one batch.");
      for (const auto& [stage, histogram] : stage_durations_) {
        out.histogram("orfeas_stage_duration_seconds", {{"stage", stage}}, histogram->snapshot());
      }
    }
  }

  out.family("orfeas_job_duration_seconds", "histogram", "Time from submission to a final state.");
  out.histogram("orfeas_job_duration_seconds", {}, job_duration_.snapshot());

  out.family("orfeas_jobs", "gauge", "Jobs in the store by status.");
  for (int i = 0; i < jobs::kJobStatusCount; ++i) {
    out.sample("orfeas_jobs", {{"status", std::string(jobs::job_status_name(static_cast<jobs::JobStatus>(i)))}},
               format_value(snapshot.jobs_by_status[static_cast<std::size_t>(i)]));
  }

  out.family("orfeas_queue_length", "gauge", "Jobs waiting for a worker.");
  out.sample("orfeas_queue_length", {}, format_value(snapshot.queue_length));

  if (!snapshot.devices.empty()) {
    out.family("orfeas_workers", "gauge", "1 per device whose worker is up, 0 when it is down.");
    for (const MetricsSnapshot::Device& device : snapshot.devices) {
      out.sample("orfeas_workers", {{"device", device.name}}, device.worker_up ? "1" : "0");
    }
  }

  // The device readings: a family only when some device reports it.
  const auto optional_family = [&](std::string_view name, std::string_view help, auto reading) {
    bool any = false;
    for (const MetricsSnapshot::Device& device : snapshot.devices) {
      const auto value = reading(device);
      if (!value.has_value()) continue;
      if (!any) out.family(name, "gauge", help);
      any = true;
      out.sample(name, {{"device", device.name}}, format_value(*value));
    }
  };
  optional_family("orfeas_gpu_memory_total_bytes", "Device memory in bytes.",
                  [](const MetricsSnapshot::Device& device) { return device.memory_total_bytes; });
  optional_family("orfeas_gpu_memory_used_bytes", "Device memory in use in bytes, every process together.",
                  [](const MetricsSnapshot::Device& device) { return device.memory_used_bytes; });
  optional_family("orfeas_gpu_utilization_percent", "Share of time the device was computing, 0-100.",
                  [](const MetricsSnapshot::Device& device) { return device.utilization_percent; });
  return out.take();
}

}  // namespace orfeas::service
