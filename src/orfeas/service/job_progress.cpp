#include "orfeas/service/job_progress.h"

#include <algorithm>
#include <utility>

namespace orfeas::service {

StageWeights default_stage_weights() {
  // Shares of a CPU run at resolution 128 (docs/benchmarks.md), rounded: the shape and the mesh
  // take most of a job.
  return {10.0, 35.0, 25.0, 15.0, 5.0, 10.0};
}

StageWeights stage_weights(const std::vector<profiling::StageShare>& shares) {
  StageWeights weights{};
  for (std::size_t i = 0; i < pipeline::kStageNames.size(); ++i) {
    const auto share = std::find_if(shares.begin(), shares.end(), [&](const profiling::StageShare& s) {
      return s.stage == pipeline::kStageNames[i];
    });
    if (share == shares.end() || share->job_count == 0) return default_stage_weights();
    // A floor keeps every stage visible: a stage that took no time still moves the bar a little.
    weights[i] = std::max(share->mean_share_percent, 0.5);
  }
  return weights;
}

JobProgress::JobProgress(std::string job, const StageWeights& weights, std::int64_t start_ms,
                         std::int64_t min_interval_ms)
    : job_(std::move(job)), start_ms_(start_ms), min_interval_ms_(min_interval_ms) {
  StageWeights used = weights;
  double total = 0.0;
  for (double& weight : used) total += (weight = std::max(weight, 0.0));
  if (total <= 0.0) {
    used = default_stage_weights();
    total = 100.0;
  }
  double sum = 0.0;
  for (std::size_t i = 0; i < used.size(); ++i) {
    starts_[i] = 100.0 * sum / total;
    sum += used[i];
  }
  starts_.back() = 100.0;
}

std::optional<JobEvent> JobProgress::on_event(const pipeline::ProgressEvent& event, std::int64_t now_ms) {
  if (event.index >= pipeline::kStageNames.size()) return std::nullopt;
  const double begin = starts_[event.index];
  const double end = starts_[event.index + 1];
  double percent = begin;
  if (event.done) {
    percent = end;
  } else if (event.steps > 0) {
    percent = begin +
              (end - begin) * static_cast<double>(std::min(event.step, event.steps)) / static_cast<double>(event.steps);
  }
  percent_ = std::max(percent_, std::min(percent, 100.0));

  JobEvent out;
  out.type = EventType::kProgress;
  out.job = job_;
  out.stage = std::string(event.stage);
  out.step = event.step;
  out.steps = event.steps;
  out.percent = percent_;
  const double elapsed_s = static_cast<double>(std::max<std::int64_t>(0, now_ms - start_ms_)) / 1000.0;
  if (percent_ > 0.0) out.eta_s = elapsed_s * (100.0 - percent_) / percent_;
  last_ = out;

  const bool step_event = !event.done && event.steps > 0;
  if (step_event && last_sent_ms_ && now_ms - *last_sent_ms_ < min_interval_ms_) return std::nullopt;
  last_sent_ms_ = now_ms;
  return out;
}

}  // namespace orfeas::service
